// Canvas drawing for the page: line charts, the confusion matrix with per-class accuracy,
// the misclassified-image grid and the sample grid. Every picture paints its own background,
// title and legend, so a saved PNG stands on its own. Scales and ticks: lib/chartmath.js.
import { formatTick, heatColour, linearScale, niceTicks, parseHex, thin, yDomain, yExtent } from './lib/chartmath.js';
import { cifarToRgba } from './lib/cifar.js';

export const SHORT_CLASS = { airplane: 'plane', automobile: 'car' };

/** Colours and font from the page's CSS variables (so dark mode applies to charts too). */
export function theme() {
  const cs = getComputedStyle(document.documentElement);
  const v = (name, d) => cs.getPropertyValue(name).trim() || d;
  return {
    bg: v('--chart-bg', '#ffffff'),
    fg: v('--fg', '#1b1f24'),
    muted: v('--muted', '#5b6472'),
    grid: v('--chart-grid', '#e8ebf0'),
    axis: v('--chart-axis', '#a0a8b4'),
    good: v('--good', '#13875d'),
    bad: v('--bad', '#c93a2f'),
    accent: v('--accent', '#1f6fd1'),
    font: v('--chart-font', 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif'),
  };
}

/**
 * Sizes a canvas for its CSS width and the device pixel ratio; returns a context in CSS pixels.
 * @param {HTMLCanvasElement} canvas @param {number} cssHeight
 */
export function prepare(canvas, cssHeight) {
  const dpr = Math.max(1, Math.min(3, window.devicePixelRatio || 1));
  const w = Math.max(120, Math.round(canvas.clientWidth || canvas.parentElement?.clientWidth || 300));
  const h = Math.max(60, Math.round(cssHeight));
  canvas.style.height = `${h}px`;
  const pw = Math.round(w * dpr);
  const ph = Math.round(h * dpr);
  if (canvas.width !== pw) canvas.width = pw;
  if (canvas.height !== ph) canvas.height = ph;
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.textBaseline = 'alphabetic';
  ctx.imageSmoothingEnabled = false;
  return { ctx, w, h };
}

function font(T, size, weight = 400) {
  return `${weight} ${size}px ${T.font}`;
}

/** Draws text shrunk (down to minSize) or cut with an ellipsis to fit maxWidth. */
export function fitText(ctx, text, x, y, maxWidth, T, size = 11, weight = 400, minSize = 8) {
  let s = size;
  ctx.font = font(T, s, weight);
  while (ctx.measureText(text).width > maxWidth && s > minSize) {
    s -= 0.5;
    ctx.font = font(T, s, weight);
  }
  let t = text;
  if (ctx.measureText(t).width > maxWidth) {
    while (t.length > 1 && ctx.measureText(`${t}…`).width > maxWidth) t = t.slice(0, -1);
    t += '…';
  }
  ctx.fillText(t, x, y);
}

/**
 * Title and a wrapping legend at the top of a picture; returns the y where the plot may start.
 * @param {Array<{label: string, color: string, dash?: number[], width?: number, alpha?: number, box?: boolean}>} legend
 */
function header(ctx, T, w, title, legend, reserveRight = 56, dry = false) {
  ctx.fillStyle = T.fg;
  ctx.textAlign = 'left';
  ctx.font = font(T, 13, 600);
  const titleW = Math.min(ctx.measureText(title).width, w - 12 - reserveRight);
  if (!dry) fitText(ctx, title, 12, 19, w - 12 - reserveRight, T, 13, 600, 10);
  let x = 12 + titleW + 18;
  let y = 19;
  ctx.font = font(T, 11);
  for (const item of legend || []) {
    const tw = ctx.measureText(item.label).width;
    const iw = 22 + tw + 14;
    const limit = y === 19 ? w - reserveRight : w - 8; // the first row leaves room for the PNG button
    if (x + iw > limit && x > 12) {
      x = 12;
      y += 16;
    }
    if (!dry) {
      ctx.save();
      if (item.box) {
        ctx.fillStyle = item.color;
        ctx.fillRect(x, y - 8, 14, 8);
      } else {
        ctx.strokeStyle = item.color;
        ctx.globalAlpha = item.alpha ?? 1;
        ctx.lineWidth = item.width || 2;
        ctx.setLineDash(item.dash || []);
        ctx.beginPath();
        ctx.moveTo(x, y - 4);
        ctx.lineTo(x + 16, y - 4);
        ctx.stroke();
      }
      ctx.restore();
      ctx.fillStyle = T.muted;
      ctx.font = font(T, 11);
      ctx.fillText(item.label, x + 21, y);
    }
    x += iw;
  }
  return y + 12;
}

/**
 * @typedef {object} Series
 * @property {string} color @property {Array<[number, number]>} points
 * @property {number[]} [dash] @property {number} [width] @property {number} [alpha] @property {boolean} [markers]
 *
 * @typedef {object} LineChartSpec
 * @property {string} title @property {string} xLabel @property {string} yLabel
 * @property {[number, number]} xDomain
 * @property {Series[]} series
 * @property {Array<object>} [legend]
 * @property {{floor?: number, ceil?: number, includeZero?: boolean}} [y]
 * @property {(v: number, step: number) => string} [yFormat]
 * @property {string} [empty] message when there is nothing to draw
 * @property {[number, number]} [emptyY] y range shown when there is nothing to draw
 * @property {number} [height]
 */

/** A line chart. @param {HTMLCanvasElement} canvas @param {LineChartSpec} spec */
export function drawLineChart(canvas, spec) {
  const T = theme();
  const { ctx, w, h } = prepare(canvas, spec.height || 260);
  ctx.fillStyle = T.bg;
  ctx.fillRect(0, 0, w, h);
  const top = header(ctx, T, w, spec.title, spec.legend) + 6;
  const hasData = spec.series.some((s) => s.points.some((p) => Number.isFinite(p[1])));

  const yd = yDomain(hasData ? yExtent(spec.series.map((s) => s.points)) : (spec.emptyY || null), { count: Math.max(2, Math.min(6, Math.floor((h - top - 40) / 34))), ...(spec.y || {}) });
  const yLabels = yd.ticks.map((t) => (spec.yFormat ? spec.yFormat(t, yd.step) : formatTick(t, yd.step)));
  ctx.font = font(T, 11);
  const yLabelW = Math.max(...yLabels.map((s) => ctx.measureText(s).width));
  const left = Math.round(22 + yLabelW + 8);
  const right = w - 14;
  const bottom = h - 36;
  const [x0, x1] = spec.xDomain;
  const sx = linearScale(x0, x1, left, right);
  const sy = linearScale(yd.min, yd.max, bottom, top);

  // grid and y ticks
  ctx.lineWidth = 1;
  ctx.textAlign = 'right';
  yd.ticks.forEach((t, i) => {
    const y = Math.round(sy(t)) + 0.5;
    ctx.strokeStyle = T.grid;
    ctx.beginPath();
    ctx.moveTo(left, y);
    ctx.lineTo(right, y);
    ctx.stroke();
    ctx.fillStyle = T.muted;
    ctx.fillText(yLabels[i], left - 6, y + 4);
  });
  // x ticks
  const xt = niceTicks(x0, x1, Math.max(2, Math.min(10, Math.floor((right - left) / 64))));
  let xstep = xt.step;
  let xticks = xt.ticks.filter((t) => t >= x0 - 1e-9 && t <= x1 + 1e-9);
  if (x1 - x0 >= 2 && xstep < 1) {
    xstep = 1;
    xticks = [];
    for (let t = Math.ceil(x0); t <= x1; t++) xticks.push(t);
  }
  ctx.textAlign = 'center';
  for (const t of xticks) {
    const x = Math.round(sx(t)) + 0.5;
    ctx.strokeStyle = T.grid;
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, bottom);
    ctx.stroke();
    ctx.fillStyle = T.muted;
    ctx.fillText(formatTick(t, xstep), x, bottom + 15);
  }
  // axes
  ctx.strokeStyle = T.axis;
  ctx.beginPath();
  ctx.moveTo(left + 0.5, top);
  ctx.lineTo(left + 0.5, bottom + 0.5);
  ctx.lineTo(right, bottom + 0.5);
  ctx.stroke();
  // axis labels
  ctx.fillStyle = T.muted;
  ctx.font = font(T, 11, 500);
  ctx.textAlign = 'center';
  ctx.fillText(spec.xLabel, (left + right) / 2, h - 6);
  ctx.save();
  ctx.translate(12, (top + bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(spec.yLabel, 0, 0);
  ctx.restore();

  // series, clipped to the plot
  ctx.save();
  ctx.beginPath();
  ctx.rect(left - 4, top - 4, right - left + 8, bottom - top + 8); // room for markers on the edges
  ctx.clip();
  for (const s of spec.series) {
    const pts = thin(s.points, Math.max(200, Math.floor((right - left) * 1.5)));
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.globalAlpha = s.alpha ?? 1;
    ctx.lineWidth = s.width || 2;
    ctx.lineJoin = 'round';
    ctx.lineCap = 'round';
    ctx.setLineDash(s.dash || []);
    ctx.beginPath();
    let pen = false;
    for (const [x, y] of pts) {
      if (!Number.isFinite(y) || !Number.isFinite(x)) {
        pen = false;
        continue;
      }
      if (pen) ctx.lineTo(sx(x), sy(y));
      else ctx.moveTo(sx(x), sy(y));
      pen = true;
    }
    ctx.stroke();
    ctx.setLineDash([]);
    if (s.markers) {
      for (const [x, y] of pts) {
        if (!Number.isFinite(y)) continue;
        ctx.beginPath();
        ctx.arc(sx(x), sy(y), s.hollow ? 2.6 : 3, 0, 2 * Math.PI);
        if (s.hollow) {
          ctx.fillStyle = T.bg;
          ctx.fill();
          ctx.lineWidth = 1.5;
          ctx.stroke();
          ctx.fillStyle = s.color;
        } else {
          ctx.fill();
        }
      }
    }
  }
  ctx.restore();
  ctx.globalAlpha = 1;

  if (!hasData && spec.empty) {
    ctx.fillStyle = T.muted;
    ctx.font = font(T, 12);
    ctx.textAlign = 'center';
    ctx.fillText(spec.empty, (left + right) / 2, (top + bottom) / 2);
  }
  ctx.textAlign = 'left';
}

/** "true: automobile", else "true: car", else shrunk to fit. */
function labelText(ctx, prefix, name, x, y, maxWidth, T) {
  ctx.font = font(T, 11, 500);
  const full = `${prefix}: ${name}`;
  const text = ctx.measureText(full).width <= maxWidth ? full : `${prefix}: ${shortClass(name)}`;
  fitText(ctx, text, x, y, maxWidth, T, 11, 500, 8);
}

/** A short class name for tight spaces. @param {string} name */
export function shortClass(name) {
  return SHORT_CLASS[name] || name;
}

const DIAG_RGB = [31, 111, 209];
const OFF_RGB = [214, 69, 48];

/**
 * Confusion matrix (rows: true class, columns: predicted; colour: share of the row) and
 * per-class accuracy bars. Sets the canvas height for its width.
 * @param {HTMLCanvasElement} canvas
 * @param {{title: string, confusion: Int32Array|number[], classAcc: number[], classNames: string[]}} o
 */
export function drawConfusion(canvas, o) {
  const T = theme();
  const w0 = Math.max(120, Math.round(canvas.clientWidth || 600));
  const wide = w0 >= 680;
  const labelW = wide ? 84 : 58;
  const matrixW = wide ? Math.min(w0 * 0.6, 520) : w0 - 16;
  const cell = Math.floor((matrixW - labelW - 24) / 10);
  const legend = [
    { label: 'correct (share of the true class)', color: heatColour(0.8, DIAG_RGB), box: true },
    { label: 'confused with', color: heatColour(0.8, OFF_RGB), box: true },
  ];
  const measure = canvas.getContext('2d');
  const gridTop = header(measure, T, w0, o.title, legend, 8, true) + 40;
  const matrixH = gridTop + cell * 10 + 30;
  const barsH = 10 * 22 + 50;
  const h = wide ? Math.max(matrixH, barsH + 30) : matrixH + barsH + 10;
  const { ctx, w } = prepare(canvas, h);
  ctx.fillStyle = T.bg;
  ctx.fillRect(0, 0, w, h);
  header(ctx, T, w, o.title, legend, 8);
  const names = o.classNames;
  const conf = o.confusion;
  const base = parseHex(T.bg) || [255, 255, 255];
  const gx = 16 + labelW;
  const gy = gridTop;
  ctx.fillStyle = T.muted;
  ctx.font = font(T, 11, 500);
  ctx.textAlign = 'center';
  ctx.fillText('predicted class →', gx + cell * 5, gy - 22);
  // column labels
  for (let j = 0; j < 10; j++) {
    ctx.fillStyle = T.muted;
    ctx.textAlign = 'center';
    fitText(ctx, shortClass(names[j]), gx + cell * j + cell / 2, gy - 6, cell - 2, T, 10, 400, 7);
  }
  // a faint frame per cell, so empty cells still show the grid
  ctx.fillStyle = T.grid;
  ctx.fillRect(gx - 1, gy - 1, cell * 10 + 1, cell * 10 + 1);
  for (let i = 0; i < 10; i++) {
    let rowSum = 0;
    for (let j = 0; j < 10; j++) rowSum += conf[i * 10 + j];
    ctx.fillStyle = T.fg;
    ctx.textAlign = 'right';
    fitText(ctx, wide ? names[i] : shortClass(names[i]), gx - 6, gy + cell * i + cell / 2 + 4, labelW - 8, T, 11);
    for (let j = 0; j < 10; j++) {
      const n = conf[i * 10 + j];
      const t = rowSum ? n / rowSum : 0;
      const x = gx + cell * j;
      const y = gy + cell * i;
      const strength = i === j ? t : Math.min(1, t * 2.5);
      ctx.fillStyle = heatColour(strength, i === j ? DIAG_RGB : OFF_RGB, base);
      ctx.fillRect(x, y, cell - 1, cell - 1);
      if (cell >= 22 && n > 0) {
        ctx.fillStyle = strength > 0.55 ? '#ffffff' : T.fg;
        ctx.textAlign = 'center';
        fitText(ctx, String(n), x + cell / 2 - 0.5, y + cell / 2 + 3.5, cell - 4, T, cell >= 34 ? 11 : 9, 400, 7);
      }
    }
  }
  ctx.save();
  ctx.fillStyle = T.muted;
  ctx.font = font(T, 11, 500);
  ctx.textAlign = 'center';
  ctx.translate(9, gy + cell * 5);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText('true class →', 0, 0);
  ctx.restore();

  // per-class accuracy bars
  const bx = wide ? gx + cell * 10 + 48 : 16;
  const by = wide ? gridTop : matrixH + 16;
  const bw = (wide ? w - bx - 16 : w - 32);
  ctx.fillStyle = T.fg;
  ctx.font = font(T, 12, 600);
  ctx.textAlign = 'left';
  ctx.fillText('Per-class test accuracy', bx, by - 22 + (wide ? 0 : 14));
  const rowTop = by + (wide ? 0 : 10);
  const nameW = 78;
  const barX = bx + nameW;
  const barW = Math.max(40, bw - nameW - 48);
  for (let i = 0; i < 10; i++) {
    const a = o.classAcc[i];
    const y = rowTop + i * 22;
    ctx.fillStyle = T.fg;
    ctx.textAlign = 'right';
    fitText(ctx, names[i], barX - 8, y + 13, nameW - 10, T, 11);
    ctx.fillStyle = T.grid;
    ctx.fillRect(barX, y + 3, barW, 13);
    ctx.fillStyle = heatColour(0.35 + 0.65 * (Number.isFinite(a) ? a : 0), DIAG_RGB, base);
    ctx.fillRect(barX, y + 3, barW * Math.max(0, Math.min(1, a || 0)), 13);
    ctx.fillStyle = T.muted;
    ctx.textAlign = 'left';
    ctx.font = font(T, 11);
    ctx.fillText(Number.isFinite(a) ? `${(a * 100).toFixed(1)}%` : '–', barX + barW + 6, y + 14);
  }
  ctx.textAlign = 'left';
}

let scratch = null;
function imageCanvas(pixels, offset) {
  if (!scratch) {
    scratch = document.createElement('canvas');
    scratch.width = 32;
    scratch.height = 32;
  }
  const sctx = scratch.getContext('2d');
  const img = sctx.createImageData(32, 32);
  cifarToRgba(pixels, offset, img.data);
  sctx.putImageData(img, 0, 0);
  return scratch;
}

/**
 * The misclassified test images of a run as a cols x rows grid, each with its true class,
 * the predicted class and the model's confidence. Sets the canvas height.
 * @param {HTMLCanvasElement} canvas
 * @param {{title: string, images: Uint8Array, items: Array<{label: number, pred: number, conf: number}>, classNames: string[], cols?: number}} o
 */
export function drawMistakes(canvas, o) {
  const T = theme();
  const cols = o.cols || 5;
  const rows = Math.max(1, Math.ceil(Math.max(o.items.length, 10) / cols));
  const w0 = Math.max(120, Math.round(canvas.clientWidth || 400));
  const pad = 10;
  const gap = 8;
  const cellW = Math.floor((w0 - 2 * pad - gap * (cols - 1)) / cols);
  const img = Math.max(32, Math.min(80, cellW - 6));
  const cellH = img + 48;
  const top = 30;
  const h = top + rows * cellH + (rows - 1) * gap + pad;
  const { ctx, w } = prepare(canvas, h);
  ctx.fillStyle = T.bg;
  ctx.fillRect(0, 0, w, h);
  ctx.fillStyle = T.fg;
  ctx.textAlign = 'left';
  fitText(ctx, o.title, pad, 19, w - 2 * pad - 48, T, 13, 600, 9);
  if (o.items.length === 0) {
    ctx.fillStyle = T.muted;
    ctx.font = font(T, 12);
    ctx.textAlign = 'center';
    ctx.fillText(o.emptyText || 'No misclassified test images.', w / 2, top + cellH / 2);
    ctx.textAlign = 'left';
    return;
  }
  o.items.forEach((m, k) => {
    const r = Math.floor(k / cols);
    const c = k % cols;
    const x = pad + c * (cellW + gap);
    const y = top + r * (cellH + gap);
    const ix = x + Math.floor((cellW - img) / 2);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(imageCanvas(o.images, k * 3072), ix, y, img, img);
    ctx.strokeStyle = T.bad;
    ctx.lineWidth = 1.5;
    ctx.strokeRect(ix - 0.75, y - 0.75, img + 1.5, img + 1.5);
    ctx.textAlign = 'center';
    const cx = x + cellW / 2;
    ctx.fillStyle = T.fg;
    labelText(ctx, 'true', o.classNames[m.label], cx, y + img + 14, cellW, T);
    ctx.fillStyle = T.bad;
    labelText(ctx, 'pred', o.classNames[m.pred], cx, y + img + 28, cellW, T);
    ctx.fillStyle = T.muted;
    fitText(ctx, `${Math.round(m.conf * 100)}% confident`, cx, y + img + 42, cellW, T, 10, 400, 7);
  });
  ctx.textAlign = 'left';
}

/**
 * Sample training images: one column per class with its name, `rows` images each.
 * @param {HTMLCanvasElement} canvas
 * @param {{pixels: Uint8Array, picks: number[][], classNames: string[], counts?: number[], rows?: number}} o
 */
export function drawSamples(canvas, o) {
  const T = theme();
  const w0 = Math.max(120, Math.round(canvas.clientWidth || 600));
  const pad = 4;
  const gap = w0 < 500 ? 3 : 6;
  const cell = Math.min(64, Math.floor((w0 - 2 * pad - 9 * gap) / 10));
  const rows = o.rows || (cell < 40 ? 4 : 3);
  const top = 20;
  const h = top + rows * (cell + 3) + (o.counts ? 16 : 2);
  const { ctx, w } = prepare(canvas, h);
  ctx.fillStyle = T.bg;
  ctx.fillRect(0, 0, w, h);
  const totalW = 10 * cell + 9 * gap;
  const x0 = Math.max(pad, Math.floor((w - totalW) / 2));
  let offset = 0;
  const offsets = o.picks.map((list) => {
    const start = offset;
    offset += list.length;
    return start;
  });
  for (let c = 0; c < 10; c++) {
    const x = x0 + c * (cell + gap);
    ctx.fillStyle = T.fg;
    ctx.textAlign = 'center';
    fitText(ctx, cell < 52 ? shortClass(o.classNames[c]) : o.classNames[c], x + cell / 2, 13, cell + gap, T, 11, 500, 7);
    const list = o.picks[c] || [];
    for (let r = 0; r < rows && r < list.length; r++) {
      ctx.drawImage(imageCanvas(o.pixels, (offsets[c] + r) * 3072), x, top + r * (cell + 3), cell, cell);
    }
    if (o.counts) {
      ctx.fillStyle = T.muted;
      fitText(ctx, `${o.counts[c].toLocaleString('en-US')} images`, x + cell / 2, h - 3, cell + gap - 2, T, 10, 400, 7);
    }
  }
  ctx.textAlign = 'left';
}

/** Starts a download of a Blob. @param {Blob} blob @param {string} name */
export function downloadBlob(blob, name) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 30000);
}

/** Saves a canvas as PNG. @param {HTMLCanvasElement} canvas @param {string} name */
export function savePng(canvas, name) {
  canvas.toBlob((b) => {
    if (b) downloadBlob(b, name);
  }, 'image/png');
}
