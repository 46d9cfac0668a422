// Text formatting for the page: durations, sizes, percentages, learning rates. Pure.

/**
 * A duration for people: "45 s", "3 min 05 s", "1 h 02 min".
 * @param {number} seconds
 */
export function formatDuration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${String(m % 60).padStart(2, '0')} min`;
}

/**
 * Bytes as "512 B", "1.5 kB", "162.6 MB" (powers of 1000).
 * @param {number} n
 */
export function formatBytes(n) {
  if (!Number.isFinite(n) || n < 0) return '–';
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB'];
  let v = n;
  let i = -1;
  do {
    v /= 1000;
    i++;
  } while (v >= 1000 && i < units.length - 1);
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

/**
 * A fraction 0..1 as a percentage with `digits` decimals.
 * @param {number} x @param {number} [digits]
 */
export function formatPct(x, digits = 1) {
  if (!Number.isFinite(x)) return '–';
  return `${(x * 100).toFixed(digits)}%`;
}

/**
 * A learning rate or coefficient: 0.05, 0.0005 -> "5e-4", 2e-7.
 * @param {number} x
 */
export function formatSci(x) {
  if (!Number.isFinite(x)) return '–';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 0.01 && a < 1000) return String(Number(x.toPrecision(3)));
  return x.toExponential(2).replace(/\.?0+e/, 'e').replace('e+', 'e');
}

/**
 * An integer with thousands separators: 49536 -> "49,536".
 * @param {number} n
 */
export function formatInt(n) {
  if (!Number.isFinite(n)) return '–';
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * A loss value with 3 decimals (4 significant digits below 0.1).
 * @param {number} x
 */
export function formatLoss(x) {
  if (!Number.isFinite(x)) return '–';
  return Math.abs(x) < 0.1 ? x.toPrecision(3) : x.toFixed(3);
}

/**
 * Estimated time left for a training run.
 * @param {{stepsLeft: number, stepsPerSec: number, evalsLeft?: number, evalSeconds?: number}} o
 * @returns {number} seconds, NaN when unknown
 */
export function etaSeconds(o) {
  if (!(o.stepsPerSec > 0)) return NaN;
  return o.stepsLeft / o.stepsPerSec + (o.evalsLeft || 0) * (o.evalSeconds || 0);
}

/** A file name safe on every OS: "GN (4 groups)" -> "gn-4-groups". @param {string} s */
export function slug(s) {
  return String(s).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'run';
}
