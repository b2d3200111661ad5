// The output column: the decision boundary (or the fitted surface / curve) with the data points,
// the losses, the learning curves, and the live diagnostics.

import { lineChart, logBars } from "./charts.js";
import { CLASS_COLORS, css, diverging, paintGrid } from "./colors.js";
import { el, fmt, pct, setCanvasSize } from "./dom.js";

const SIZE = 280;

export class Output {
  constructor(app, key, root) {
    this.app = app;
    this.key = key;
    this.root = root;
    this.history = [];
  }

  build(structure) {
    const k = this.key;
    this.structure = structure;
    this.history = [];
    this.picture = el("canvas.boundary", { id: `${k}-boundary` });
    setCanvasSize(this.picture, SIZE, SIZE);
    this.numbers = el("div.numbers", {},
      el("div", {}, "Test loss ", el("b", { id: `${k}-test-loss`, text: "—" }),
        el("span.acc", { id: `${k}-test-acc` })),
      el("div", {}, "Training loss ", el("b", { id: `${k}-train-loss`, text: "—" }),
        el("span.acc", { id: `${k}-train-acc` })));
    this.chart = el("canvas.chart", { id: `${k}-chart`, title: "loss over training steps: test solid, training dashed" });
    this.status = el("div.run-status", { id: `${k}-status` });
    this.diag = el("div.diag", { id: `${k}-diag` });
    this.bars = el("div.bars");
    this.root.replaceChildren(
      el("h3", { text: "Output" }), this.picture, this.numbers, this.chart, this.status,
      el("h3", { text: "Diagnostics" }), this.diag,
      el("div.bars-title", { text: "gradient norm ‖∂L/∂W‖ per layer (log scale)" }), this.bars);
    lineChart(this.chart, [], { w: SIZE, h: 90 });
  }

  update(head, arrays, view, other) {
    const s = this.structure;
    this.head = head;
    this.out = arrays[`${this.key}.out`];
    const last = this.history[this.history.length - 1];
    if (!last || last[0] !== head.step) this.history.push([head.step, head.train_loss, head.test_loss]);
    if (this.history.length > 2000) this.history = this.history.filter((_, i) => i % 2 === 0);
    const setText = (id, text) => { document.getElementById(id).textContent = text; };
    setText(`${this.key}-test-loss`, fmt(head.test_loss));
    setText(`${this.key}-train-loss`, fmt(head.train_loss));
    if (s.data.task === "classification") {
      setText(`${this.key}-test-acc`, ` · accuracy ${pct(head.test_acc)}`);
      setText(`${this.key}-train-acc`, ` · accuracy ${pct(head.train_acc)}`);
    }
    this.status.textContent = head.status === "diverged"
      ? "Diverged: the loss became NaN or infinite. Lower the learning rate and press reset." : "";
    this.status.classList.toggle("bad", head.status !== "ok");
    this.draw(view);
    const series = [
      { points: this.history.map((h) => [h[0], h[2]]), color: "#333", label: "test" },
      { points: this.history.map((h) => [h[0], h[1]]), color: "#888", dash: true, label: "train" },
    ];
    if (other) series.push({ points: other.history.map((h) => [h[0], h[2]]), color: "#c5c9ce", label: "other model" });
    lineChart(this.chart, series, { w: SIZE, h: 90, xLabel: "step" });
    this.diagnostics(head);
  }

  draw(view) {
    if (!this.out) return;
    const s = this.structure;
    const [x0, x1, y0, y1] = s.data.window;
    const ctx = this.picture.getContext("2d");
    if (s.data.dims === 1) this.drawCurve(ctx, x0, x1, y0, y1);
    else paintGrid(this.picture, this.out, 64, { discretize: view.discretize, soft: 0.62 });
    const X = (x) => ((x - x0) / (x1 - x0)) * SIZE;
    const Y = (y) => SIZE - ((y - y0) / (y1 - y0)) * SIZE;
    const points = (xs, ys, test) => {
      for (let i = 0; i < ys.length; i++) {
        const px = X(xs[2 * i]);
        const py = Y(s.data.dims === 1 ? ys[i] : xs[2 * i + 1]);
        const color = s.data.task === "classification" ? CLASS_COLORS[ys[i] > 0.5 ? 1 : 0]
          : css(diverging(ys[i]));
        ctx.beginPath();
        ctx.arc(px, py, 3, 0, 2 * Math.PI);
        ctx.fillStyle = color;
        ctx.fill();
        ctx.lineWidth = test ? 1.2 : 0.8;
        ctx.strokeStyle = test ? "#000" : "#fff";
        ctx.stroke();
      }
    };
    const a = s.arrays;
    points(a.train_x, a.train_y, false);
    if (view.test) points(a.test_x, a.test_y, true);
    ctx.fillStyle = "rgba(0,0,0,0.55)";
    ctx.font = "10px system-ui, sans-serif";
    ctx.fillText(`x₁ ∈ [${x0}, ${x1}]`, 4, SIZE - 4);
    ctx.fillText(s.data.dims === 1 ? `y ∈ [${y0}, ${y1}]` : `x₂ ∈ [${y0}, ${y1}]`, 4, 12);
  }

  drawCurve(ctx, x0, x1, y0, y1) {
    ctx.fillStyle = "#f4f5f6";
    ctx.fillRect(0, 0, SIZE, SIZE);
    ctx.strokeStyle = "#c9ccd0";
    ctx.beginPath();
    ctx.moveTo(0, SIZE / 2);
    ctx.lineTo(SIZE, SIZE / 2);
    ctx.stroke();
    ctx.strokeStyle = "#0877bd";
    ctx.lineWidth = 2.5;
    ctx.beginPath();
    const n = this.out.length;
    for (let i = 0; i < n; i++) {
      const px = (i / (n - 1)) * SIZE;
      const py = SIZE - ((this.out[i] - y0) / (y1 - y0)) * SIZE;
      if (i === 0) ctx.moveTo(px, py);
      else ctx.lineTo(px, py);
    }
    ctx.stroke();
  }

  diagnostics(head) {
    const d = head.diag;
    if (!d) {
      this.diag.textContent = "";
      this.bars.replaceChildren();
      return;
    }
    const units = (d.dead || []).flat().length;
    const dead = (d.dead || []).flat().filter(Boolean).length;
    const eff = d.effective_lr;
    const lrText = eff
      ? `effective lr per weight: ${fmt(eff.q05, 2)} … ${fmt(eff.q95, 2)} (median ${fmt(eff.q50, 2)})`
      : `learning rate ${fmt(head.lr)}, the same for every weight`;
    this.diag.replaceChildren(
      el("div", { class: dead ? "warn" : "" }, `dead units: ${dead} of ${units}`,
        dead ? " (greyed out: f′ = 0 for every training point)" : ""),
      el("div", {}, `saturated: ${pct(d.saturated_fraction)} of unit outputs (ringed in red when a unit is saturated on most points)`),
      el("div", {}, lrText));
    const labels = d.grad_norm.map((_, i) => (i === d.grad_norm.length - 1 ? "output" : `layer ${i + 1}`));
    logBars(this.bars, labels, d.grad_norm);
  }
}
