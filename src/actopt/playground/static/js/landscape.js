// The landscapes tab: optimizers racing on a 2-D test function, Distill style. The server runs
// actopt's own optimizers on actopt.landscapes; every slider move asks again and the paths are
// drawn step by step. A click on the map moves the start.

import { lineChart } from "./charts.js";
import { sequential } from "./colors.js";
import { el, fmt, setCanvasSize } from "./dom.js";

const W = 520, H = 440;
const COLORS = ["#ffffff", "#ff4d4d", "#ffa600", "#3de0ff", "#ff5cf0", "#b6ff3d"];
const DEFAULT_RUNS = [
  { opt: "sgd", lr: 0.1 },
  { opt: "momentum", lr: 0.03, momentum: 0.9 },
  { opt: "adam", lr: 0.3, momentum: 0.9 },
];
const ANIMATION_MS = 2500;

function momentumOf(spec) {
  if ("momentum" in spec.defaults) return spec.defaults.momentum;
  if ("betas" in spec.defaults) return spec.defaults.betas[0];
  return null;
}

export class LandscapeTab {
  constructor(app, root) {
    this.app = app;
    this.root = root;
    this.state = { fn: "ravine", steps: 200, noise: 0, start: null, runs: DEFAULT_RUNS.map((r) => ({ ...r })) };
    this.inFlight = false;
    this.dirty = false;
    this.result = null;
  }

  settings() {
    return this.state;
  }

  restore(s) {
    Object.assign(this.state, s);
    if (this.hello) this.build(this.hello);
  }

  build(hello) {
    this.hello = hello;
    const st = this.state;
    const fnSelect = el("select#ls-function", { "data-field": "function",
      onchange: (e) => { st.fn = e.target.value; st.start = null; this.build(hello); this.request(); } },
      ...hello.landscapes.map((f) => el("option", { value: f.name, text: f.name, selected: f.name === st.fn })));
    const info = hello.landscapes.find((f) => f.name === st.fn);
    const range = (label, min, max, step, value, show, set) => {
      const out = el("span.value", { text: show(value) });
      const input = el("input", { type: "range", min, max, step, value,
        oninput: () => { out.textContent = show(Number(input.value)); set(Number(input.value)); this.request(); } });
      return el("label.control", {}, el("span.label", {}, label, " ", out), input);
    };
    this.runsBox = el("div.ls-runs", { "data-field": "runs" });
    st.runs.forEach((r, i) => this.runsBox.append(this.runRow(r, i)));
    this.canvas = el("canvas#ls-canvas", { title: "click to start the optimizers from there" });
    setCanvasSize(this.canvas, W, H);
    this.canvas.addEventListener("click", (e) => {
      const rect = this.canvas.getBoundingClientRect();
      const [[x0, x1], [y0, y1]] = info.window;
      st.start = [x0 + ((e.clientX - rect.left) / W) * (x1 - x0), y1 - ((e.clientY - rect.top) / H) * (y1 - y0)];
      this.request();
    });
    this.table = el("table.ls-table");
    this.loss = el("canvas.chart#ls-loss");
    this.root.replaceChildren(
      el("aside.ls-controls", {},
        el("h2", { text: "Landscape" }),
        el("p.hint", { text: "Optimizers on a 2-D function: how do momentum and the learning rate change the path? Drag a slider, or click the map to start elsewhere." }),
        el("label.control", {}, el("span.label", { text: "Function" }), fnSelect),
        el("div.formula", { text: `f(x, y) = ${info.formula}` }),
        el("p.hint", { text: info.summary }),
        range("Steps", 10, 1000, 10, st.steps, String, (v) => { st.steps = v; }),
        range("Gradient noise", 0, 2, 0.05, st.noise, (v) => v.toFixed(2), (v) => { st.noise = v; }),
        el("h3", { text: "Optimizers" }),
        this.runsBox,
        el("button.small", { disabled: st.runs.length >= hello.limits.landscape_runs,
          onclick: () => { st.runs.push({ opt: "nag", lr: 0.03, momentum: 0.9 }); this.build(hello); this.request(); } }, "+ add an optimizer")),
      el("div.ls-main", {}, this.canvas,
        el("div.ls-buttons", {},
          el("button.small#ls-replay", { onclick: () => this.replay() }, "replay"),
          el("button.small#ls-tune", { title: "try learning rates from 1e-4 to 31.6 (half decades) and keep, per optimizer, the one that ends nearest a minimum of this function",
            onclick: () => this.request(true) }, "tune every lr for this function")),
        this.table, el("div.bars-title", { text: "f along each path (log scale where f > 0)" }), this.loss));
  }

  runRow(r, i) {
    const st = this.state;
    const spec = this.hello.optimizers.find((o) => o.name === r.opt);
    const m = momentumOf(spec);
    const lrOut = el("span.value", { text: fmt(r.lr) });
    const lr = el("input", { type: "range", min: -4, max: 1, step: 0.05, value: Math.log10(r.lr),
      "data-field": `runs.${i}.lr`, title: "learning rate (log scale)",
      oninput: () => { r.lr = Number((10 ** Number(lr.value)).toPrecision(3)); lrOut.textContent = fmt(r.lr); this.request(); } });
    const row = el("div.ls-run", { "data-field": `runs.${i}` },
      el("span.swatch", { style: `background:${COLORS[i]}` }),
      el("select", { onchange: (e) => {
        r.opt = e.target.value;
        const s = this.hello.optimizers.find((o) => o.name === r.opt);
        r.lr = s.defaults.lr;
        if (momentumOf(s) === null) delete r.momentum; else r.momentum = momentumOf(s);
        this.build(this.hello);
        this.request();
      } }, ...this.hello.optimizers.map((o) => el("option", { value: o.name, text: o.name, selected: o.name === r.opt }))),
      el("button.round", { title: "remove", disabled: st.runs.length <= 1,
        onclick: () => { st.runs.splice(i, 1); this.build(this.hello); this.request(); } }, "×"),
      el("label.control.slim", {}, el("span.label", {}, "lr ", lrOut), lr));
    if (m !== null) {
      if (r.momentum === undefined) r.momentum = m;
      const out = el("span.value", { text: r.momentum.toFixed(2) });
      const input = el("input", { type: "range", min: 0, max: 0.99, step: 0.01, value: r.momentum,
        "data-field": `runs.${i}.momentum`,
        oninput: () => { r.momentum = Number(input.value); out.textContent = r.momentum.toFixed(2); this.request(); } });
      row.append(el("label.control.slim", {}, el("span.label", {}, "momentum ", out), input));
    }
    return row;
  }

  request(tune = false) {
    if (this.inFlight) {
      this.dirty = true;
      return;
    }
    const st = this.state;
    this.inFlight = true;
    this.dirty = false;
    this.pendingId = this.app.send({ type: "landscape", function: st.fn, start: st.start, steps: st.steps, noise: st.noise,
      runs: st.runs.map((r) => (r.momentum === undefined ? { opt: r.opt, lr: r.lr } : { opt: r.opt, lr: r.lr, momentum: r.momentum })),
      tune });
    this.app.saveHash();
  }

  onResult(m) {
    this.inFlight = false;
    this.result = m;
    if (m.tuned) {  // the sliders move to the learning rates found
      m.runs.forEach((r, i) => { if (this.state.runs[i]) this.state.runs[i].lr = Number(r.lr.toPrecision(3)); });
      this.build(this.hello);
      this.app.saveHash();
    }
    this.background = this.paintHeight(m);
    this.renderTable(m);
    this.replay();
    if (this.dirty) this.request();
  }

  failed() {
    this.inFlight = false;
  }

  paintHeight(m) {
    const n = Math.round(Math.sqrt(m.arrays.height.length));
    const off = document.createElement("canvas");
    off.width = n;
    off.height = n;
    const ctx = off.getContext("2d");
    const img = ctx.createImageData(n, n);
    const h = m.arrays.height;
    const level = (v) => Math.floor((v / 256) * 16);
    for (let i = 0; i < n * n; i++) {
      let c = sequential(h[i] / 255);
      const right = i % n < n - 1 ? h[i + 1] : h[i], down = i + n < n * n ? h[i + n] : h[i];
      if (level(h[i]) !== level(right) || level(h[i]) !== level(down)) c = c.map((v) => v * 0.72);
      img.data.set([c[0], c[1], c[2], 255], 4 * i);
    }
    ctx.putImageData(img, 0, 0);
    return off;
  }

  replay() {
    if (!this.result) return;
    cancelAnimationFrame(this.anim);
    const t0 = performance.now();
    const tick = (now) => {
      const p = Math.min(1, (now - t0) / ANIMATION_MS);
      this.draw(p);
      if (p < 1) this.anim = requestAnimationFrame(tick);
    };
    this.anim = requestAnimationFrame(tick);
  }

  draw(progress) {
    const m = this.result;
    const ctx = this.canvas.getContext("2d");
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(this.background, 0, 0, W, H);
    const [[x0, x1], [y0, y1]] = m.window;
    const X = (x) => ((x - x0) / (x1 - x0)) * W, Y = (y) => H - ((y - y0) / (y1 - y0)) * H;
    m.runs.forEach((r, i) => {
      const path = m.arrays[`path${i}`];
      const n = path.length / 2;
      const upto = Math.max(1, Math.round(progress * (m.steps + 1)));
      ctx.strokeStyle = COLORS[i];
      ctx.lineWidth = 2;
      ctx.beginPath();
      for (let k = 0; k < Math.min(n, upto); k++) {
        const px = X(path[2 * k]), py = Y(path[2 * k + 1]);
        if (k === 0) ctx.moveTo(px, py);
        else ctx.lineTo(px, py);
      }
      ctx.stroke();
      const k = Math.min(n, upto) - 1;
      ctx.fillStyle = COLORS[i];
      ctx.beginPath();
      ctx.arc(X(path[2 * k]), Y(path[2 * k + 1]), 4, 0, 2 * Math.PI);
      ctx.fill();
    });
    for (const [mx, my] of m.minima) this.star(ctx, X(mx), Y(my));
    ctx.fillStyle = "#fff";
    ctx.strokeStyle = "#000";
    ctx.beginPath();
    ctx.arc(X(m.start[0]), Y(m.start[1]), 5, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
    ctx.fillStyle = "rgba(255,255,255,0.85)";
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillText(`step ${Math.min(m.steps, Math.round(progress * m.steps))} / ${m.steps}`, 8, 16);
  }

  star(ctx, x, y) {
    ctx.fillStyle = "#fff";
    ctx.strokeStyle = "#000";
    ctx.beginPath();
    for (let k = 0; k < 10; k++) {
      const r = k % 2 ? 3.5 : 8, a = (Math.PI / 5) * k - Math.PI / 2;
      ctx.lineTo(x + r * Math.cos(a), y + r * Math.sin(a));
    }
    ctx.closePath();
    ctx.fill();
    ctx.stroke();
  }

  renderTable(m) {
    const rows = m.runs.map((r, i) => el("tr", {},
      el("td", {}, el("span.swatch", { style: `background:${COLORS[i]}` }), ` ${r.opt}`),
      el("td", { text: fmt(r.lr) }),
      el("td", { text: r.hyper.momentum !== undefined ? fmt(r.hyper.momentum) : r.hyper.betas ? fmt(r.hyper.betas[0]) : "—" }),
      el("td", { text: r.diverged ? "diverged" : fmt(r.final_loss) }),
      el("td", { text: r.steps_to_dist_tol === null ? "not reached" : String(r.steps_to_dist_tol) })));
    this.table.replaceChildren(
      el("tr", {}, ...["optimizer", "lr", "momentum / β₁", "final f", "steps to within 0.001 of a minimum"].map((t) => el("th", { text: t }))),
      ...rows);
    const losses = m.runs.map((_, i) => Array.from(m.arrays[`loss${i}`]));
    const positive = losses.flat().every((v) => !Number.isFinite(v) || v > 0);
    lineChart(this.loss, losses.map((l, i) => ({
      points: l.map((v, k) => [k, v]), color: COLORS[i] === "#ffffff" ? "#444" : COLORS[i] })),
      { w: W, h: 110, logY: positive, xLabel: "step" });
  }
}
