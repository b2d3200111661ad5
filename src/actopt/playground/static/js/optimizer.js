// The training controls of one model: optimizer and its hyper-parameters, batch, loss,
// regularisation, dropout, initialisation. Inputs apply when they change (Enter or leaving
// the field); the optimizer's own defaults fill whatever the page does not set.

import { el } from "./dom.js";

const LOSS_NAMES = { ce: "cross-entropy", mse: "squared error" };
const REG_NAMES = { none: "none", l1: "L1", l2: "L2" };
const BATCHES = ["full", 1, 5, 10, 32, 100];

function field(label, control, title) {
  return el("label.control.inline", { title }, el("span.label", { text: label }), control);
}

export class OptimizerPanel {
  constructor(app, key, root) {
    this.app = app;
    this.key = key;
    this.root = root;
  }

  build(model, structure) {
    const { app, key } = this;
    const hello = app.hello;
    const set = (fn) => app.update((c) => fn(c[key]));
    const spec = hello.optimizers.find((o) => o.name === model.opt);
    const opt = el("select", { "data-field": `${key}.opt`, onchange: (e) => set((m) => { m.opt = e.target.value; m.hyper = {}; }) },
      ...hello.optimizers.map((o) => el("option", { value: o.name, text: o.name, selected: o.name === model.opt, title: o.summary })));
    const hyper = el("span.hyper", { "data-field": `${key}.hyper` });
    for (const [name, def] of Object.entries(spec.defaults)) {
      const value = model.hyper[name];
      let input;
      if (typeof def === "boolean") {
        input = el("input", { type: "checkbox", checked: value, "data-field": `${key}.hyper.${name}`,
          onchange: (e) => set((m) => { m.hyper[name] = e.target.checked; }) });
      } else if (Array.isArray(def)) {
        input = el("span.pair", {}, ...def.map((_, i) => el("input.num", {
          type: "number", step: "any", value: value[i], "data-field": `${key}.hyper.${name}.${i}`,
          onchange: (e) => set((m) => { m.hyper[name][i] = Number(e.target.value); }) })));
      } else {
        input = el("input.num", { type: "number", step: "any", value, "data-field": `${key}.hyper.${name}`,
          id: name === "lr" ? `${key}-lr` : undefined,
          onchange: (e) => set((m) => { m.hyper[name] = Number(e.target.value); }) });
      }
      hyper.append(field(name === "lr" ? "learning rate" : name, input));
    }
    const batchOptions = BATCHES.includes(model.batch) ? BATCHES : [...BATCHES, model.batch];
    const batch = el("select", { "data-field": `${key}.batch`,
      onchange: (e) => set((m) => { m.batch = e.target.value === "full" ? "full" : Number(e.target.value); }) },
      ...batchOptions.map((b) => el("option", { value: b, text: b === "full" ? "full batch" : String(b), selected: b === model.batch })));
    const regression = structure.data.task === "regression";
    const loss = el("select", { "data-field": `${key}.loss`, disabled: regression,
      onchange: (e) => set((m) => { m.loss = e.target.value; }) },
      ...hello.losses.map((l) => el("option", { value: l, text: LOSS_NAMES[l] || l, selected: l === model.loss })));
    const reg = el("select", { "data-field": `${key}.reg`, onchange: (e) => set((m) => { m.reg = e.target.value; }) },
      ...hello.regularizers.map((r) => el("option", { value: r, text: REG_NAMES[r] || r, selected: r === model.reg })));
    const rate = el("input.num", { type: "number", step: "any", min: 0, max: 1, value: model.reg_rate,
      "data-field": `${key}.reg_rate`, onchange: (e) => set((m) => { m.reg_rate = Number(e.target.value); }) });
    const dropout = el("input.num", { type: "number", step: 0.05, min: 0, max: 0.9, value: model.dropout,
      "data-field": `${key}.dropout`, onchange: (e) => set((m) => { m.dropout = Number(e.target.value); }) });
    const init = el("select", { "data-field": `${key}.init`, onchange: (e) => set((m) => { m.init = e.target.value; }) },
      ...hello.inits.map((i) => el("option", { value: i, text: i, selected: i === model.init })));
    this.root.replaceChildren(
      el("div.opt-row", {},
        field("Optimizer", opt, spec.summary), hyper),
      el("div.rule", { text: `update: ${spec.rule}` }),
      el("div.opt-row", {},
        field("Batch", batch, "examples per step: full = batch gradient descent, 1 = stochastic"),
        field("Loss", loss, regression ? "a regression set is fitted with squared error" : "the training objective"),
        field("Regularization", reg, "a penalty on the weights added to the loss: L1 = rate·Σ|w|, L2 = rate·½Σw²"),
        field("rate", rate),
        field("Dropout", dropout, "probability of zeroing a hidden unit while training"),
        field("Init", init, "weight initialisation: xavier suits tanh/sigmoid, he suits ReLU")));
  }
}
