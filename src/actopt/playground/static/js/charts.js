// Small charts on canvas: learning curves, an activation's f and f′, log-scale bars.

import { el, fmt, setCanvasSize } from "./dom.js";

// series: [{points: [[x, y], ...], color, dash, label}]; y from 0 (or the min) to the max.
export function lineChart(canvas, series, { w, h, logY = false, xLabel = "" } = {}) {
  const ctx = setCanvasSize(canvas, w, h);
  const pad = { l: 46, r: 6, t: 6, b: 16 };
  ctx.clearRect(0, 0, w, h);
  const all = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p[1]));
  if (!all.length) return;
  const tf = (y) => (logY ? Math.log10(Math.max(y, 1e-12)) : y);
  let x0 = Math.min(...all.map((p) => p[0])), x1 = Math.max(...all.map((p) => p[0]));
  let y0 = logY ? Math.min(...all.map((p) => tf(p[1]))) : 0;
  let y1 = Math.max(...all.map((p) => tf(p[1])));
  if (x1 === x0) x1 = x0 + 1;
  if (y1 - y0 < 1e-9) y1 = y0 + 1;
  const X = (x) => pad.l + ((x - x0) / (x1 - x0)) * (w - pad.l - pad.r);
  const Y = (y) => h - pad.b - ((tf(y) - y0) / (y1 - y0)) * (h - pad.t - pad.b);
  ctx.strokeStyle = "#c9ccd0";
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(pad.l, pad.t);
  ctx.lineTo(pad.l, h - pad.b);
  ctx.lineTo(w - pad.r, h - pad.b);
  ctx.stroke();
  ctx.fillStyle = "#666";
  ctx.font = "10px system-ui, sans-serif";
  ctx.textAlign = "right";
  const yTop = logY ? 10 ** y1 : y1, yBottom = logY ? 10 ** y0 : y0;
  ctx.fillText(fmt(yTop, 2), pad.l - 3, pad.t + 8);
  ctx.fillText(fmt(yBottom, 2), pad.l - 3, h - pad.b);
  ctx.textAlign = "left";
  ctx.fillText(`${xLabel} ${fmt(x0, 3)}`, pad.l + 2, h - 3);
  ctx.textAlign = "right";
  ctx.fillText(fmt(x1, 4), w - pad.r, h - 3);
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = s.width || 1.5;
    ctx.setLineDash(s.dash ? [4, 3] : []);
    ctx.beginPath();
    let started = false;
    for (const [x, y] of s.points) {
      if (!Number.isFinite(y)) continue;
      if (!started) ctx.moveTo(X(x), Y(y));
      else ctx.lineTo(X(x), Y(y));
      started = true;
    }
    ctx.stroke();
  }
  ctx.setLineDash([]);
}

// f (solid) and f′ (dashed) of one activation, from the server's samples.
export function activationPlot(canvas, plot, { w = 150, h = 70 } = {}) {
  const ctx = setCanvasSize(canvas, w, h);
  ctx.fillStyle = "#fafbfc";
  ctx.fillRect(0, 0, w, h);
  if (!plot) return;
  const ys = [...plot.f, ...plot.df].filter(Number.isFinite);
  let lo = Math.max(-3, Math.min(-1, ...ys)), hi = Math.min(5, Math.max(1, ...ys));
  const x0 = plot.x[0], x1 = plot.x[plot.x.length - 1];
  const X = (x) => ((x - x0) / (x1 - x0)) * w;
  const Y = (y) => h - 4 - ((y - lo) / (hi - lo)) * (h - 8);
  ctx.strokeStyle = "#d5d8dc";
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(0, Y(0));
  ctx.lineTo(w, Y(0));
  ctx.moveTo(X(0), 0);
  ctx.lineTo(X(0), h);
  ctx.stroke();
  const curve = (values, color, dash) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.6;
    ctx.setLineDash(dash ? [3, 2] : []);
    ctx.beginPath();
    let pen = false;
    values.forEach((y, i) => {
      if (!Number.isFinite(y) || y < lo - 50 || y > hi + 50) { pen = false; return; }
      const yy = Math.max(-2, Math.min(h + 2, Y(y)));
      if (pen) ctx.lineTo(X(plot.x[i]), yy);
      else ctx.moveTo(X(plot.x[i]), yy);
      pen = true;
    });
    ctx.stroke();
  };
  curve(plot.df, "#f59322", true);
  curve(plot.f, "#0877bd", false);
  ctx.setLineDash([]);
  ctx.font = "9px system-ui, sans-serif";
  ctx.fillStyle = "#0877bd";
  ctx.fillText("f", 3, 10);
  ctx.fillStyle = "#f59322";
  ctx.fillText("f′", 12, 10);
}

// Horizontal bars on a log scale: one row per label (gradient norms per layer).
export function logBars(container, labels, values, { lo = 1e-6, hi = 10, unit = "" } = {}) {
  container.replaceChildren();
  const span = Math.log10(hi) - Math.log10(lo);
  labels.forEach((label, i) => {
    const v = values[i];
    const frac = Number.isFinite(v) && v > 0
      ? Math.max(0.02, Math.min(1, (Math.log10(v) - Math.log10(lo)) / span)) : 0;
    const warn = v > 0 && (v < lo * 100 || v > hi / 10);
    container.append(
      el("div.bar-row", {},
        el("span.bar-label", { text: label }),
        el("span.bar-track", {},
          el(`span.bar${warn ? ".warn" : ""}`, { style: `width:${(frac * 100).toFixed(1)}%` })),
        el("span.bar-value", { text: `${fmt(v, 2)}${unit}` })));
  });
}
