// The network diagram: input features, every hidden neuron as a picture of its own output over
// the plane, the output, and the weights as lines (blue positive, orange negative, width ∝ |w|).
// Dead units are greyed out, saturated ones ringed in red. Each layer has its +/− and its
// activation: a catalog name or a typed formula, plotted with its derivative.

import { activationPlot } from "./charts.js";
import { diverging, css, paintGrid, paintCurve } from "./colors.js";
import { el, featureLabel, fmt, pct, setCanvasSize } from "./dom.js";
import { formatParams, parseParams } from "./state.js";

const NODE = 38; // px, a neuron's picture
const FORMULA = "formula…";

export class Network {
  constructor(app, key, root) {
    this.app = app;
    this.key = key;
    this.root = root;
    this.nodes = []; // per column: [{el, canvas}]
    this.plots = [];
  }

  build(structure, run, model) {
    const { app, key } = this;
    const hello = app.hello;
    this.dims = structure.data.dims;
    this.run = run;
    this.links = el("canvas.links");
    const columns = el("div.columns");
    this.nodes = [];
    this.layerControls = [];

    // inputs: every feature, the unused ones faded; a click toggles one
    const feats = el("div.column.features", {}, el("h3", { text: "Features" }));
    const active = [];
    structure.data.features.forEach((f, i) => {
      const usable = !(this.dims === 1 && f.includes("x2"));
      const on = model.features.includes(f);
      const canvas = el("canvas.pic");
      setCanvasSize(canvas, NODE, NODE);
      this.paint(canvas, structure.arrays.features.subarray(i * this.cells(structure), (i + 1) * this.cells(structure)), 1 / 127);
      const node = el(`div.node.feature${on ? ".on" : ""}${usable ? "" : ".unusable"}`, {
        title: usable ? `${featureLabel(f)}: click to ${on ? "remove" : "add"} this input` : "a 1-D set has no x₂",
        "data-field": `${key}.features`,
        onclick: () => usable && app.update((c) => {
          const list = c[key].features;
          c[key].features = on ? list.filter((g) => g !== f) : [...list, f];
        }),
      }, canvas, el("span.node-label", { text: featureLabel(f) }));
      feats.append(node);
      if (on) active.push({ el: node, canvas });
    });
    columns.append(feats);
    this.nodes.push(active);

    // hidden layers
    const layersHead = el("div.layers-head", {},
      el("button.round", { title: "remove the last hidden layer", disabled: !model.layers.length,
        onclick: () => app.update((c) => { c[key].layers.pop(); }) }, "−"),
      el("button.round", { title: "add a hidden layer", disabled: model.layers.length >= hello.limits.layers,
        onclick: () => app.update((c) => {
          const last = c[key].layers[c[key].layers.length - 1] || { units: 4, act: "tanh", params: {} };
          c[key].layers.push({ ...last, params: { ...last.params } });
        }) }, "+"),
      el("span", { text: `${model.layers.length} hidden layer${model.layers.length === 1 ? "" : "s"}` }));
    model.layers.forEach((layer, li) => {
      const col = el("div.column.layer");
      col.append(this.layerControl(layer, li));
      const nodes = [];
      for (let u = 0; u < layer.units; u++) {
        const canvas = el("canvas.pic");
        setCanvasSize(canvas, NODE, NODE);
        const node = el("div.node.neuron", {}, canvas);
        col.append(node);
        nodes.push({ el: node, canvas });
      }
      columns.append(col);
      this.nodes.push(nodes);
    });

    // output
    const outCanvas = el("canvas.pic");
    setCanvasSize(outCanvas, NODE, NODE);
    const outNode = el("div.node.output", { title: "the output (large on the right)" }, outCanvas);
    columns.append(el("div.column.outcol", {}, el("h3", { text: "Output" }), outNode));
    this.nodes.push([{ el: outNode, canvas: outCanvas }]);

    this.root.replaceChildren(layersHead, el("div.diagram", {}, this.links, columns));
    requestAnimationFrame(() => { this.layout(); if (this.lastWeights) this.drawLinks(this.lastWeights); });
  }

  cells(structure) {
    return structure.arrays.features.length / structure.data.features.length;
  }

  layerControl(layer, li) {
    const { app, key } = this;
    const field = `${key}.layers.${li}`;
    const names = app.hello.activations.map((a) => a.name);
    const isFormula = !names.includes(layer.act);
    const select = el("select.act", { title: "activation of this layer" },
      ...names.map((n) => el("option", { value: n, text: n, selected: n === layer.act })),
      el("option", { value: FORMULA, text: FORMULA, selected: isFormula }));
    const formula = el(`input.formula${isFormula ? "" : ".hidden"}`, {
      type: "text", value: isFormula ? layer.act : "", placeholder: "e.g. x*tanh(softplus(x))",
      spellcheck: false, title: "a formula in x: press Enter to use it",
    });
    const info = app.hello.activations.find((a) => a.name === layer.act);
    const hasParams = isFormula || (info && info.params.length);
    const params = el(`input.params${hasParams ? "" : ".hidden"}`, {
      type: "text", value: formatParams(layer.params), spellcheck: false,
      placeholder: info && info.params.length ? info.params.map((p) => `${p.name}=${p.default}`).join(", ") : "params: b=1",
      title: "parameters, e.g. negative_slope=0.1 or, for a formula in b, b=1.5",
      "data-field": `${field}.params`,
    });
    const commit = (act) => {
      let values;
      try {
        values = parseParams(params.value);
      } catch (e) {
        app.showFieldError(`${field}.params`, e.message);
        return;
      }
      app.update((c) => { c[key].layers[li].act = act; c[key].layers[li].params = values; });
    };
    select.addEventListener("change", () => {
      if (select.value === FORMULA) {
        formula.classList.remove("hidden");
        params.classList.remove("hidden");
        formula.focus();
      } else {
        params.value = "";
        commit(select.value);
      }
    });
    formula.addEventListener("change", () => commit(formula.value.trim()));
    params.addEventListener("change", () => commit(select.value === FORMULA ? formula.value.trim() : select.value));
    const plot = el("canvas.actplot", { title: "f (blue) and its derivative f′ (orange, dashed) on [−5, 5]" });
    activationPlot(plot, null, { w: 96, h: 50 });
    this.plots[li] = plot;
    app.requestPlot(layer.act, layer.params).then((p) => p && activationPlot(plot, p, { w: 96, h: 50 }));
    const units = el("div.units", {},
      el("button.round", { title: "one neuron less", disabled: layer.units <= 1,
        onclick: () => app.update((c) => { c[key].layers[li].units -= 1; }) }, "−"),
      el("button.round", { title: "one neuron more", disabled: layer.units >= app.hello.limits.units,
        onclick: () => app.update((c) => { c[key].layers[li].units += 1; }) }, "+"),
      el("span", { text: `${layer.units} neuron${layer.units === 1 ? "" : "s"}` }));
    return el("div.layer-control", { "data-field": field }, units,
      el("div.act-control", { "data-field": `${field}.act` }, select, formula, params), plot);
  }

  layout() {
    // node centres relative to the diagram, for the links
    const box = this.links.parentElement.getBoundingClientRect();
    if (!this.box || this.box.width !== box.width || this.box.height !== box.height) {
      setCanvasSize(this.links, box.width, box.height);
    }
    this.box = box;
    this.centres = this.nodes.map((col) => col.map(({ el: n }) => {
      const r = n.querySelector("canvas").getBoundingClientRect();
      return { l: r.left - box.left, r: r.right - box.left, y: r.top - box.top + r.height / 2 };
    }));
  }

  paint(canvas, values, scale) {
    if (this.dims === 1) paintCurve(canvas, values, { scale, y0: -1.1, y1: 1.1, width: 1.5 });
    else paintGrid(canvas, values, Math.round(Math.sqrt(values.length)), { scale });
  }

  update(head, arrays, view) {
    this.layout(); // cheap, and follows anything that moved (an error message, a resize)
    const p = `${this.key}.`;
    const neurons = arrays[`${p}neurons`], scales = arrays[`${p}scales`];
    if (neurons) {
      const cells = neurons.length / scales.length;
      let u = 0;
      for (let li = 1; li < this.nodes.length - 1; li++) {
        for (const node of this.nodes[li]) {
          this.paint(node.canvas, neurons.subarray(u * cells, (u + 1) * cells), 1 / 127);
          node.scale = scales[u];
          u++;
        }
      }
    }
    const out = arrays[`${p}out`];
    const outNode = this.nodes[this.nodes.length - 1][0];
    if (this.dims === 1) paintCurve(outNode.canvas, out, { y0: -1.5, y1: 1.5, width: 1.5 });
    else paintGrid(outNode.canvas, subsample(out, 64, 32), 32, { discretize: view.discretize });
    // weights: w_i has shape (out, in); the output layer's two logits drawn as their difference
    const weights = [];
    for (let i = 0; arrays[`${p}w${i}`]; i++) weights.push(arrays[`${p}w${i}`]);
    this.lastWeights = weights;
    this.drawLinks(weights);
    this.diagnose(head.diag, arrays);
  }

  drawLinks(weights) {
    if (!this.centres) return;
    const ctx = this.links.getContext("2d");
    ctx.clearRect(0, 0, this.box.width, this.box.height);
    weights.forEach((w, i) => {
      const from = this.centres[i], to = this.centres[i + 1];
      if (!from || !to) return;
      const nIn = from.length;
      const nOut = w.length / nIn;
      const twoLogits = i === weights.length - 1 && nOut === 2;
      for (let o = 0; o < (twoLogits ? 1 : nOut); o++) {
        for (let k = 0; k < nIn; k++) {
          const v = twoLogits ? w[nIn + k] - w[k] : w[o * nIn + k];
          const a = from[k], b = to[twoLogits ? 0 : o];
          ctx.strokeStyle = css(diverging(Math.sign(v) * Math.min(1, 0.35 + Math.abs(v))), 0.75);
          ctx.lineWidth = Math.min(5, 0.3 + Math.abs(v) * 1.6);
          const mx = (a.r + b.l) / 2;
          ctx.beginPath();
          ctx.moveTo(a.r, a.y);
          ctx.bezierCurveTo(mx, a.y, mx, b.y, b.l, b.y);
          ctx.stroke();
        }
      }
    });
  }

  diagnose(diag, arrays) {
    for (let li = 1; li < this.nodes.length - 1; li++) {
      const bias = arrays[`${this.key}.b${li - 1}`];
      this.nodes[li].forEach((node, u) => {
        const dead = diag && diag.dead[li - 1] ? diag.dead[li - 1][u] : false;
        const sat = diag && diag.saturated[li - 1] ? diag.saturated[li - 1][u] : 0;
        node.el.classList.toggle("dead", !!dead);
        node.el.classList.toggle("saturated", !dead && sat >= 0.5);
        node.el.title = `layer ${li}, neuron ${u + 1}\nbias ${fmt(bias ? bias[u] : NaN)}`
          + `\noutput up to ±${fmt(node.scale)} over the plane`
          + (dead ? "\nDEAD: f′ = 0 on every training point, it no longer learns" : "")
          + `\nsaturated (|f′| < 0.001) on ${pct(sat)} of the training points`;
      });
    }
  }
}

function subsample(values, n, m) {
  // n×n → m×m by taking every (n/m)-th point
  const step = n / m, out = new Float32Array(m * m);
  for (let r = 0; r < m; r++) for (let c = 0; c < m; c++) out[r * m + c] = values[Math.floor(r * step) * n + Math.floor(c * step)];
  return out;
}
