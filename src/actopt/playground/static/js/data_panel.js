// The data column: which set, how many points, how noisy, the train/test split, and the
// page-only view options (test points, discretised output).

import { el } from "./dom.js";

function slider(label, field, { min, max, step, value, show, onCommit }) {
  const out = el("span.value", { text: show(value) });
  const input = el("input", {
    type: "range", min, max, step, value, "data-field": field,
    oninput: () => { out.textContent = show(Number(input.value)); },
    onchange: () => onCommit(Number(input.value)),
  });
  return { node: el("label.control", {}, el("span.label", {}, label, " ", out), input), input, out, show };
}

export class DataPanel {
  constructor(app, root) {
    this.app = app;
    this.root = root;
    this.view = { test: false, discretize: false };
  }

  build(hello) {
    const app = this.app;
    this.buttons = {};
    const sets = el("div.datasets", { "data-field": "data.name" });
    for (const d of hello.datasets) {
      const b = el("button.dataset", {
        title: d.summary, "data-name": d.name,
        onclick: () => app.update((c) => {
          const previous = app.datasetInfo(c.data.name);
          c.data.name = d.name;
          c.data.noise = d.default_noise;
          this.fitFeatures(c, d, previous);
        }),
      }, el("span.name", { text: d.name }), el("span.task", { text: d.task === "regression" ? `regression ${d.dims}-D` : "classes" }));
      this.buttons[d.name] = b;
      sets.append(b);
    }
    this.ratio = slider("Training data", "data.train_ratio", {
      min: 10, max: 90, step: 5, value: 50, show: (v) => `${v}%`,
      onCommit: (v) => app.update((c) => { c.data.train_ratio = v / 100; }),
    });
    this.noise = slider("Noise", "data.noise", {
      min: 0, max: 0.5, step: 0.01, value: 0, show: (v) => v.toFixed(2),
      onCommit: (v) => app.update((c) => { c.data.noise = v; }),
    });
    this.points = slider("Points", "data.points", {
      min: 20, max: hello.limits.points, step: 10, value: 500, show: (v) => String(v),
      onCommit: (v) => app.update((c) => { c.data.points = v; }),
    });
    this.seedOut = el("span.value", { text: "0" });
    const regen = el("button.small", {
      title: "draw a new sample of the same data set",
      onclick: () => app.update((c) => { c.data.seed += 1; }),
    }, "regenerate");
    const check = (key, text) => el("label.check", {}, el("input", {
      type: "checkbox", id: `view-${key}`,
      onchange: (ev) => { this.view[key] = ev.target.checked; app.redraw(); },
    }), text);
    this.root.replaceChildren(
      el("h2", { text: "Data" }),
      el("p.hint", { text: "Which data set do you want to use?" }),
      sets,
      this.ratio.node, this.noise.node, this.points.node,
      el("div.control.row", {}, el("span.label", {}, "Data seed ", this.seedOut), regen),
      check("test", "Show test data"),
      check("discretize", "Discretize output"),
    );
  }

  // a 1-D set has no x₂: keep the features it can use
  fitFeatures(config, d, previous) {
    for (const key of ["a", "b"]) {
      const m = config[key];
      if (!m) continue;
      if (d.dims === 1) {
        m.features = m.features.filter((f) => !f.includes("x2"));
        if (!m.features.length) m.features = ["x1"];
      }
      if (d.task === "regression") m.loss = "mse";
      else if (previous?.task === "regression") m.loss = "ce";
    }
  }

  render(config) {
    const d = config.data;
    for (const [name, b] of Object.entries(this.buttons)) b.classList.toggle("selected", name === d.name);
    const set = (s, v) => { if (document.activeElement !== s.input) { s.input.value = v; s.out.textContent = s.show(Number(v)); } };
    set(this.ratio, Math.round(d.train_ratio * 100));
    set(this.noise, d.noise);
    set(this.points, d.points);
    this.seedOut.textContent = String(d.seed);
  }
}
