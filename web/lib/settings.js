// Playground settings: the form's fields, their validation (with messages a student can act
// on), the conversion to the Wasm API's {model, settings}, and the URL hash that makes a
// configuration shareable. Pure: no DOM, runs in Node tests too.

/**
 * @typedef {object} Field
 * @property {string} key   name in the form and in the API
 * @property {string} url   name in the URL hash
 * @property {'enum'|'int'|'num'|'bool'|'seed'} type
 * @property {string} label
 * @property {string[]} [options]
 * @property {number} [min] @property {number} [max]
 * @property {boolean} [minOpen] min itself is not allowed
 * @property {boolean} [maxOpen] max itself is not allowed
 * @property {boolean} [local] kept out of the URL (machine-specific)
 */

/** @type {Field[]} */
export const FIELDS = [
  { key: 'norm', url: 'norm', type: 'enum', label: 'Normalization', options: ['bn', 'gn', 'ln'] },
  { key: 'groups', url: 'groups', type: 'enum', label: 'GN groups', options: ['0', '2', '4'] },
  { key: 'epochs', url: 'epochs', type: 'int', label: 'Epochs', min: 1, max: 1000 },
  { key: 'batch', url: 'batch', type: 'int', label: 'Batch size', min: 1, max: 1024 },
  { key: 'maxLr', url: 'lr', type: 'num', label: 'Max LR', min: 0, minOpen: true, max: 10 },
  { key: 'schedule', url: 'sched', type: 'enum', label: 'Schedule', options: ['onecycle', 'step', 'const'] },
  { key: 'l1', url: 'l1', type: 'num', label: 'L1', min: 0, max: 1, maxOpen: true },
  { key: 'l2', url: 'l2', type: 'num', label: 'L2', min: 0, max: 1, maxOpen: true },
  { key: 'augCrop', url: 'crop', type: 'bool', label: 'Random crop' },
  { key: 'augFlip', url: 'flip', type: 'bool', label: 'Horizontal flip' },
  { key: 'augCutout', url: 'cutout', type: 'bool', label: 'Cutout' },
  { key: 'seed', url: 'seed', type: 'seed', label: 'Seed' },
  // not in shared links: it depends on the machine, and results do not depend on it
  { key: 'threads', url: 'threads', type: 'int', label: 'Threads', min: 1, max: 64, local: true },
];

export const FIELD_BY_KEY = Object.fromEntries(FIELDS.map((f) => [f.key, f]));
const FIELD_BY_URL = new Map(FIELDS.map((f) => [f.url, f]));

/** Crop padding and cutout size used when the toggles are on. */
export const CROP_PAD = 4;
export const CUTOUT_SIZE = 8;
/** Batches larger than this get a memory warning (training takes ~1.5 MB per image of a batch). */
export const MEMORY_BATCH = 256;
/** Approximate memory of a training batch. @param {number} batch */
export function formatMemory(batch) {
  const mb = 70 + batch * 1.5;
  return mb >= 1000 ? `${(mb / 1000).toFixed(1)} GB` : `${Math.round(mb / 10) * 10} MB`;
}
/** More epochs than this get a warning (they take long on the full data set). */
export const LONG_EPOCHS = 20;

export const SCHEDULE_NAMES = { onecycle: 'OneCycle', step: 'Step (x0.1 every 8 epochs)', const: 'Constant' };

/**
 * Default raw values (strings and booleans, as the form holds them).
 * @param {{threads?: number}} [ctx] threads: the default thread count of this machine
 * @returns {Record<string, string|boolean>}
 */
export function defaults(ctx = {}) {
  return {
    norm: 'bn',
    groups: '0',
    epochs: '10',
    batch: '128',
    maxLr: '0.1',
    schedule: 'onecycle',
    l1: '0',
    l2: '0.0005',
    augCrop: true,
    augFlip: true,
    augCutout: false,
    seed: '1',
    threads: String(ctx.threads || 1),
  };
}

const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parses a number typed by a person. Returns {value} or {error}.
 * @param {unknown} raw @returns {{value?: number, error?: string}}
 */
export function parseNumber(raw) {
  const s = String(raw ?? '').trim();
  if (s === '') return { error: 'Required' };
  if (/^[+-]?\d*,\d+$/.test(s)) return { error: `Use a dot for decimals: ${s.replace(',', '.')}` };
  if (!NUMBER_RE.test(s)) return { error: `'${s}' is not a number` };
  const v = Number(s);
  if (!Number.isFinite(v)) return { error: `'${s}' is too large` };
  return { value: v };
}

function rangeText(f) {
  const lo = f.minOpen ? `greater than ${f.min}` : `at least ${f.min}`;
  const hi = f.maxOpen ? `less than ${f.max}` : `at most ${f.max}`;
  return `${lo} and ${hi}`;
}

const MAX_SEED = (1n << 64n) - 1n;

/**
 * Validates one raw field value.
 * @param {Field} f @param {unknown} raw @param {{maxThreads?: number}} ctx
 * @returns {{value?: any, error?: string}}
 */
export function parseField(f, raw, ctx = {}) {
  switch (f.type) {
    case 'bool':
      if (typeof raw === 'boolean') return { value: raw };
      return parseBool(raw) ?? { error: `'${raw}' is not on/off` };
    case 'enum': {
      const s = String(raw ?? '').trim().toLowerCase();
      if (f.options.includes(s)) return { value: s };
      return { error: `Choose one of ${f.options.join(', ')}` };
    }
    case 'seed': {
      const s = String(raw ?? '').trim();
      if (s === '') return { error: 'Required' };
      if (!/^\d+$/.test(s)) return { error: 'Use a whole number (0 or more)' };
      if (BigInt(s) > MAX_SEED) return { error: 'At most 2^64 - 1' };
      return { value: String(BigInt(s)) };
    }
    case 'int': {
      const r = parseNumber(raw);
      if (r.error) return r;
      if (!Number.isInteger(r.value)) return { error: 'Use a whole number' };
      const max = f.key === 'threads' && ctx.maxThreads ? Math.min(f.max, ctx.maxThreads) : f.max;
      if (r.value < f.min || r.value > max) {
        if (f.key === 'threads' && ctx.maxThreads === 1) return { error: 'Only 1 thread here (the page is not cross-origin isolated)' };
        return { error: `Must be ${f.min}..${max}` };
      }
      return r;
    }
    case 'num': {
      const r = parseNumber(raw);
      if (r.error) return r;
      const v = r.value;
      const lowOk = f.minOpen ? v > f.min : v >= f.min;
      const highOk = f.maxOpen ? v < f.max : v <= f.max;
      if (!lowOk || !highOk) {
        if (v < 0) return { error: `Cannot be negative (must be ${rangeText(f)})` };
        return { error: `Must be ${rangeText(f)}` };
      }
      return r;
    }
    default:
      return { error: 'unknown field' };
  }
}

function parseBool(raw) {
  const s = String(raw ?? '').trim().toLowerCase();
  if (['1', 'true', 'on', 'yes'].includes(s)) return { value: true };
  if (['0', 'false', 'off', 'no'].includes(s)) return { value: false };
  return null;
}

/**
 * Validates all raw values.
 * @param {Record<string, any>} raw
 * @param {{maxThreads?: number, trainSize?: number}} [ctx]
 * @returns {{ok: boolean, values: Record<string, any>, errors: Record<string, string>, warnings: Record<string, string>}}
 */
export function validate(raw, ctx = {}) {
  const values = {};
  const errors = {};
  const warnings = {};
  for (const f of FIELDS) {
    const r = parseField(f, raw[f.key], ctx);
    if (r.error) errors[f.key] = r.error;
    else values[f.key] = r.value;
  }
  if (!errors.epochs && values.epochs > LONG_EPOCHS) {
    warnings.epochs = `More than ${LONG_EPOCHS} epochs: this can take a long time`;
  }
  if (!errors.maxLr && values.maxLr > 1) warnings.maxLr = 'Very high: training will likely diverge';
  if (!errors.l2 && values.l2 > 0.01) warnings.l2 = 'Strong: weights will be pushed hard towards 0';
  if (!errors.l1 && values.l1 > 0.001) warnings.l1 = 'Strong: most weights will be driven to 0';
  if (!errors.batch && values.batch > MEMORY_BATCH) {
    warnings.batch = `Needs about ${formatMemory(values.batch)} of memory in the browser`;
  }
  if (!errors.batch && ctx.trainSize && values.batch > ctx.trainSize) {
    errors.batch = `Larger than the training set (${ctx.trainSize} images)`;
  }
  return { ok: Object.keys(errors).length === 0, values, errors, warnings };
}

/**
 * The Wasm API's arguments for validated values.
 * @param {Record<string, any>} v validated values @param {'bn'|'gn'|'ln'} [norm] override (for Compare)
 * @returns {{model: object, settings: object}}
 */
export function toApi(v, norm = v.norm) {
  const model = { norm };
  if (norm === 'gn') {
    const g = Number(v.groups);
    if (g > 0) model.groups = g;
  }
  const settings = {
    epochs: v.epochs,
    batch: v.batch,
    schedule: v.schedule,
    maxLr: v.maxLr,
    l1: v.l1,
    l2: v.l2,
    augCrop: v.augCrop ? CROP_PAD : 0,
    augFlip: !!v.augFlip,
    augCutout: v.augCutout ? CUTOUT_SIZE : 0,
    seed: v.seed,
    threads: v.threads,
  };
  return { model, settings };
}

/**
 * A short name of a model for legends and tables.
 * @param {{norm?: string, groups?: number, groupSize?: number}} model
 */
export function variantLabel(model) {
  const norm = model.norm || 'bn';
  if (norm === 'bn') return 'BN';
  if (norm === 'ln') return 'LN';
  if (model.groups > 0) return `GN (${model.groups} groups)`;
  return `GN (${model.groupSize || 8} ch/group)`;
}

/** Which normalization runs a Compare trains, in order. */
export const COMPARE_NORMS = ['bn', 'gn', 'ln'];

/**
 * The URL hash for raw values: only values that differ from the defaults, in field order.
 * @param {Record<string, any>} raw @param {Record<string, any>} defs
 * @returns {string} without the leading '#'
 */
export function encodeHash(raw, defs) {
  const params = [];
  for (const f of FIELDS) {
    let v = raw[f.key];
    if (v === undefined || f.local) continue;
    if (f.type === 'bool') v = v === true || parseBool(v)?.value === true ? '1' : '0';
    else v = String(v).trim();
    let d = defs[f.key];
    if (f.type === 'bool') d = d ? '1' : '0';
    if (v === String(d)) continue;
    params.push(`${f.url}=${encodeURIComponent(v)}`);
  }
  return params.join('&');
}

/**
 * Raw values from a URL hash (or query string); unknown keys are ignored, values are kept
 * as typed so that an invalid one shows up in the form with its message.
 * @param {string} hash with or without a leading '#' or '?'
 * @returns {Record<string, any>}
 */
export function decodeHash(hash) {
  const out = {};
  const s = String(hash || '').replace(/^[#?]/, '');
  if (!s) return out;
  for (const part of s.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq);
    let v = eq < 0 ? '' : part.slice(eq + 1);
    try {
      v = decodeURIComponent(v.replace(/\+/g, ' '));
    } catch {
      continue;
    }
    const f = FIELD_BY_URL.get(k);
    if (!f || f.local) continue;
    if (f.type === 'bool') {
      const b = parseBool(v);
      out[f.key] = b ? b.value : v;
    } else {
      out[f.key] = v.slice(0, 40);
    }
  }
  return out;
}

/**
 * Settings from a checkpoint's config (the API's {model, settings}) as raw form values.
 * @param {{model: object, settings: object}} cfg @param {Record<string, any>} defs
 */
export function rawFromConfig(cfg, defs) {
  const m = cfg.model || {};
  const s = cfg.settings || {};
  const r = { ...defs };
  if (['bn', 'gn', 'ln'].includes(m.norm)) r.norm = m.norm;
  if (m.norm === 'gn') r.groups = ['2', '4'].includes(String(m.groups)) ? String(m.groups) : '0';
  if (s.epochs) r.epochs = String(s.epochs);
  if (s.batch) r.batch = String(s.batch);
  if (s.maxLr !== undefined) r.maxLr = String(roundFloat(s.maxLr));
  if (s.schedule) r.schedule = s.schedule;
  if (s.l1 !== undefined) r.l1 = String(roundFloat(s.l1));
  if (s.l2 !== undefined) r.l2 = String(roundFloat(s.l2));
  if (s.augCrop !== undefined) r.augCrop = s.augCrop > 0;
  if (s.augFlip !== undefined) r.augFlip = !!s.augFlip;
  if (s.augCutout !== undefined) r.augCutout = s.augCutout > 0;
  if (s.seed !== undefined) r.seed = String(s.seed);
  return r;
}

/** A float32 value as a person would have typed it (0.0500000007 -> 0.05). */
export function roundFloat(x) {
  return Number(Number(x).toPrecision(7));
}
