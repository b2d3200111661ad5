// Colour maps and picture painting. Orange is negative / class 0, blue positive / class 1, as in
// TensorFlow Playground; the landscapes use a perceptual dark-to-light map.

const NEG = [245, 147, 34];
const MID = [232, 234, 235];
const POS = [8, 119, 189];

export function diverging(v) {
  // v in [-1, 1] → [r, g, b]
  const t = Math.max(-1, Math.min(1, v));
  const end = t < 0 ? NEG : POS;
  const a = Math.abs(t);
  return [0, 1, 2].map((i) => Math.round(MID[i] + (end[i] - MID[i]) * a));
}

export function css(rgb, alpha = 1) {
  return `rgba(${rgb[0]},${rgb[1]},${rgb[2]},${alpha})`;
}

export const CLASS_COLORS = [css(NEG), css(POS)];

const VIRIDIS = [
  [68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
  [31, 158, 137], [53, 183, 121], [110, 206, 88], [181, 222, 43], [253, 231, 37],
];
export function sequential(t) {
  const x = Math.max(0, Math.min(1, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  return [0, 1, 2].map((k) => Math.round(VIRIDIS[i][k] + (VIRIDIS[i + 1][k] - VIRIDIS[i][k]) * f));
}

// Paint a square picture of n×n values (row 0 on top) into a canvas, scaled to w×h.
// `value(i)` gives a number in [-1, 1]; discretize snaps to the sign.
export function paintGrid(canvas, values, n, { scale = 1, discretize = false, soft = 1 } = {}) {
  const off = paintGrid.off || (paintGrid.off = document.createElement("canvas"));
  off.width = n;
  off.height = n;
  const octx = off.getContext("2d");
  const img = octx.createImageData(n, n);
  for (let i = 0; i < n * n; i++) {
    let v = values[i] * scale;
    if (discretize) v = v > 0 ? 1 : v < 0 ? -1 : 0;
    const c = diverging(v * soft); // soft < 1: paler, so the data points stand out
    img.data[4 * i] = c[0];
    img.data[4 * i + 1] = c[1];
    img.data[4 * i + 2] = c[2];
    img.data[4 * i + 3] = 255;
  }
  octx.putImageData(img, 0, 0);
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height;
  ctx.save();
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(off, 0, 0, w, h);
  ctx.restore();
}

// A curve y(x) (1-D data): values[i] at x = i/(n-1) across, y in [y0, y1] up the canvas.
export function paintCurve(canvas, values, { scale = 1, y0 = -1, y1 = 1, color = "#0877bd", width = 2 } = {}) {
  const ctx = canvas.getContext("2d");
  const w = canvas.clientWidth || canvas.width, h = canvas.clientHeight || canvas.height;
  ctx.fillStyle = "#f4f5f6";
  ctx.fillRect(0, 0, w, h);
  ctx.strokeStyle = "#c9ccd0";
  ctx.lineWidth = 1;
  const zero = h - ((0 - y0) / (y1 - y0)) * h;
  ctx.beginPath();
  ctx.moveTo(0, zero);
  ctx.lineTo(w, zero);
  ctx.stroke();
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.beginPath();
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const x = (i / (n - 1)) * w;
    const y = h - ((values[i] * scale - y0) / (y1 - y0)) * h;
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  }
  ctx.stroke();
}
