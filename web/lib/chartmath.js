// Chart arithmetic: nice axis ticks, linear scales, smoothing and thinning of series, tick
// labels. Pure (no DOM, no canvas) so that it is tested in Node.

/**
 * A nice step: 1, 2, 5 or 10 times a power of ten, the smallest such at or above raw.
 * @param {number} raw > 0
 */
export function niceStep(raw) {
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 + 1e-9 ? 1 : f <= 2 + 1e-9 ? 2 : f <= 5 + 1e-9 ? 5 : 10) * mag;
}

/**
 * Ticks covering [min, max] with at most `count` intervals; the domain is widened to whole
 * ticks (an empty range around its value first). The definition is draw_nice_ticks() in
 * tools/draw/canvas.c (the CLI's plots): this is the same algorithm, step by step, and
 * tests/node/web_chartmath.test.mjs checks both against tests/golden/nice_ticks.json.
 * @param {number} min @param {number} max @param {number} [count] @param {number} [minStep]
 * @returns {{min: number, max: number, step: number, ticks: number[]}}
 */
export function niceTicks(min, max, count = 5, minStep = 0) {
  const maxTicks = Math.min(32, Math.max(2, Math.round(count) + 1));
  let a = min;
  let b = max;
  if (!Number.isFinite(a) || !Number.isFinite(b)) [a, b] = [0, 1];
  if (a > b) [a, b] = [b, a];
  if (b - a <= 1e-12 * Math.max(1, Math.abs(a))) {
    const pad = a !== 0 ? Math.abs(a) * 0.1 : 1;
    a -= pad;
    b += pad;
  }
  let step = Math.max(niceStep((b - a) / (maxTicks - 1)), minStep);
  let lo;
  let hi;
  let n;
  for (;;) { // widening outward can add a tick; take the next step up if it overflows
    lo = Math.floor(a / step + 1e-9) * step;
    hi = Math.ceil(b / step - 1e-9) * step;
    n = Math.round((hi - lo) / step) + 1;
    if (n <= maxTicks) break;
    step = niceStep(step * 1.5);
  }
  const ticks = [];
  for (let i = 0; i < n; i++) {
    const v = lo + i * step;
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : cleanFloat(v));
  }
  return { min: cleanFloat(lo), max: cleanFloat(hi), step: cleanFloat(step), ticks };
}

/** Removes float noise (0.30000000000000004 -> 0.3). */
export function cleanFloat(x) {
  return Number.parseFloat(x.toPrecision(12));
}

/**
 * A linear map from domain [d0, d1] to range [r0, r1] (clamped to finite values).
 * @returns {(x: number) => number}
 */
export function linearScale(d0, d1, r0, r1) {
  const span = d1 - d0;
  if (span === 0 || !Number.isFinite(span)) return () => (r0 + r1) / 2;
  const k = (r1 - r0) / span;
  return (x) => r0 + (x - d0) * k;
}

/**
 * Decimals needed to print ticks `step` apart.
 * @param {number} step
 */
export function tickDecimals(step) {
  if (!(step > 0) || !Number.isFinite(step)) return 0;
  const d = -Math.floor(Math.log10(step) + 1e-9);
  const frac = step * 10 ** Math.max(0, d);
  return Math.max(0, d + (Math.abs(frac - Math.round(frac)) > 1e-6 ? 1 : 0));
}

/**
 * A tick label: fixed decimals for ordinary steps, exponent form for tiny/huge values.
 * @param {number} v @param {number} step
 */
export function formatTick(v, step) {
  if (v === 0) return '0';
  const a = Math.abs(step);
  if (a < 1e-3 || Math.abs(v) >= 1e6) {
    return v.toExponential(2).replace(/\.?0+e/, 'e').replace('e+', 'e');
  }
  return v.toFixed(Math.min(6, tickDecimals(step)));
}

/**
 * Exponential moving average with bias correction (as TensorBoard's smoothing):
 * the first values are not pulled towards 0.
 * @param {ArrayLike<number>} values @param {number} weight 0 (none) .. <1 (strong)
 * @returns {number[]}
 */
export function smooth(values, weight) {
  const out = new Array(values.length);
  let last = 0;
  let debias = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      out[i] = NaN;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    debias = debias * weight + (1 - weight);
    out[i] = last / debias;
  }
  return out;
}

/**
 * A smoothing weight that suits a series of n points (more points, smoother).
 * @param {number} n
 */
export function autoSmoothing(n) {
  if (n < 10) return 0;
  return Math.min(0.98, 1 - 4 / Math.sqrt(n + 16));
}

/**
 * Keeps at most maxPoints of a series, keeping each bucket's first, min and max points
 * (so spikes survive) and the last point.
 * @param {Array<[number, number]>} points sorted by x @param {number} maxPoints
 * @returns {Array<[number, number]>}
 */
export function thin(points, maxPoints) {
  if (points.length <= maxPoints || maxPoints < 4) return points.slice();
  const buckets = Math.floor(maxPoints / 3);
  const size = points.length / buckets;
  const out = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor(b * size);
    const end = Math.min(points.length, Math.floor((b + 1) * size));
    if (end <= start) continue;
    let lo = start;
    let hi = start;
    for (let i = start; i < end; i++) {
      if (points[i][1] < points[lo][1]) lo = i;
      if (points[i][1] > points[hi][1]) hi = i;
    }
    const idx = [...new Set([start, lo, hi])].sort((a, b2) => a - b2);
    for (const i of idx) out.push(points[i]);
  }
  const last = points[points.length - 1];
  if (out[out.length - 1] !== last) out.push(last);
  return out;
}

/**
 * [min, max] over the finite y values of several series; null if there are none.
 * @param {Array<Array<[number, number]>>} seriesList
 */
export function yExtent(seriesList) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of seriesList) {
    for (const p of s) {
      const y = p[1];
      if (!Number.isFinite(y)) continue;
      if (y < lo) lo = y;
      if (y > hi) hi = y;
    }
  }
  return lo <= hi ? [lo, hi] : null;
}

/**
 * The y domain for a chart: the data's extent, widened to nice ticks, optionally clamped.
 * @param {[number, number]|null} ext @param {{floor?: number, ceil?: number, includeZero?: boolean, count?: number}} [o]
 */
export function yDomain(ext, o = {}) {
  let [lo, hi] = ext || [0, 1];
  if (o.includeZero) lo = Math.min(lo, 0);
  const pad = (hi - lo) * 0.04;
  // pad, but do not cross zero: non-negative data keeps a non-negative axis
  lo = lo >= 0 ? Math.max(0, lo - pad) : lo - pad;
  hi = hi <= 0 ? Math.min(0, hi + pad) : hi + pad;
  if (o.floor !== undefined) lo = Math.max(o.floor, lo);
  if (o.ceil !== undefined) hi = Math.min(o.ceil, hi);
  const t = niceTicks(lo, hi, o.count || 5);
  if (o.floor !== undefined && t.min < o.floor) {
    t.ticks = t.ticks.filter((v) => v >= o.floor - 1e-12);
    t.min = o.floor;
  }
  if (o.ceil !== undefined && t.max > o.ceil) {
    t.ticks = t.ticks.filter((v) => v <= o.ceil + 1e-12);
    t.max = o.ceil;
  }
  return t;
}

/**
 * Colour of a heat-map cell: the base colour (0, default white) to the given RGB colour (1).
 * @param {number} t 0..1 @param {[number, number, number]} rgb @param {[number, number, number]} [base]
 * @returns {string} CSS colour
 */
export function heatColour(t, rgb, base = [255, 255, 255]) {
  const u = Math.max(0, Math.min(1, Number.isFinite(t) ? t : 0));
  const c = rgb.map((v, i) => Math.round(base[i] + (v - base[i]) * u));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/**
 * RGB of a "#rrggbb" or "#rgb" colour; null if it is not one.
 * @param {string} hex
 * @returns {[number, number, number]|null}
 */
export function parseHex(hex) {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(String(hex).trim());
  if (!m) return null;
  const h = m[1].length === 3 ? m[1].replace(/./g, '$&$&') : m[1];
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16));
}
