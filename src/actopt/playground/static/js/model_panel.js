// One model (A, or B when comparing): its training controls, its network and its output.

import { el } from "./dom.js";
import { Network } from "./network.js";
import { OptimizerPanel } from "./optimizer.js";
import { Output } from "./output.js";

export class ModelPanel {
  constructor(app, key, root) {
    this.app = app;
    this.key = key;
    this.root = root;
    const controls = el("div.opt-panel");
    const net = el("div.network");
    const out = el("div.output");
    this.title = el("h2.model-title");
    root.replaceChildren(this.title, controls, el("div.model-body", {}, net, out));
    this.optimizer = new OptimizerPanel(app, key, controls);
    this.network = new Network(app, key, net);
    this.output = new Output(app, key, out);
  }

  build(structure, model) {
    const run = structure.runs[this.key];
    const comparing = !!structure.config.b;
    this.title.textContent = comparing ? `Model ${this.key.toUpperCase()}` : "";
    this.title.classList.toggle("hidden", !comparing);
    this.optimizer.build(model, structure);
    this.network.build(structure, run, model);
    this.output.build(structure);
    this.title.append(el("span.params-count", { text: ` · ${run.parameters} parameters` }));
  }

  rebuildControls(model, structure) {
    this.optimizer.build(model, structure);
  }

  update(head, arrays, view, other) {
    this.network.update(head, arrays, view);
    this.output.update(head, arrays, view, other);
  }

  redraw(view) {
    this.output.draw(view);
  }
}
