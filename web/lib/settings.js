// Playground settings: the form's fields, built from the core's settings table (the schema
// the Wasm module exports: types, ranges, defaults per norm, help texts), their validation
// (with messages a student can act on), the conversion to the configuration JSON of the Wasm
// API, and the URL hash that makes a configuration shareable. Pure: the page installs the
// schema the training worker sends when its engine is ready (app.js), Node tests the one of
// their module, both with setSchema, before the form is used.

/**
 * @typedef {object} Field
 * @property {string} key   name in the form (and of the page's run objects)
 * @property {string} name  the configuration field (core/serialize/nl_config.h)
 * @property {string} url   name in the URL hash
 * @property {'enum'|'int'|'num'|'bool'|'seed'} type
 * @property {string} label
 * @property {string} [help] from the schema
 * @property {string[]} [options]
 * @property {string[]} [choices] values the form offers for a number (any in range is valid)
 * @property {number} [min] @property {number} [max]
 * @property {boolean} [minOpen] min itself is not allowed
 * @property {boolean} [maxOpen] max itself is not allowed
 * @property {boolean} [local] kept out of the URL (machine-specific)
 */

/** The form's fields: which configuration field each edits, its URL name and label. */
const FORM = [
  { key: 'norm', name: 'norm', url: 'norm', label: 'Normalization' },
  // the page offers a few group counts rather than any divisor of every width
  { key: 'groups', name: 'groups', url: 'groups', label: 'GN groups', options: ['0', '2', '4'] },
  // model levers (issue 15): the norm / ReLU order, weight standardisation, zero-init skips
  { key: 'order', name: 'order', url: 'order', label: 'Norm / ReLU order' },
  { key: 'weightStd', name: 'weight_std', url: 'ws', label: 'Weight standardisation' },
  { key: 'zeroInitSkip', name: 'zero_init_skip', url: 'zskip', label: 'Zero-init skip branches' },
  { key: 'epochs', name: 'epochs', url: 'epochs', label: 'Epochs' },
  { key: 'batch', name: 'batch', url: 'batch', label: 'Batch size' },
  { key: 'maxLr', name: 'max_lr', url: 'lr', label: 'Max LR' },
  { key: 'schedule', name: 'schedule', url: 'sched', label: 'Schedule' },
  { key: 'l1', name: 'l1', url: 'l1', label: 'L1' },
  { key: 'l2', name: 'l2', url: 'l2', label: 'L2' },
  // crop and cutout are on/off toggles here: on = the sizes below
  { key: 'augCrop', name: 'crop', url: 'crop', label: 'Random crop', toggle: true },
  { key: 'augFlip', name: 'flip', url: 'flip', label: 'Horizontal flip' },
  { key: 'augCutout', name: 'cutout', url: 'cutout', label: 'Cutout', toggle: true },
  { key: 'seed', name: 'seed', url: 'seed', label: 'Seed' },
  // quick mode: a balanced share of the training images, the same for every variant
  { key: 'trainFraction', name: 'train_fraction', url: 'frac', label: 'Training data', choices: ['0.1', '0.25', '1'] },
  // not in shared links: it depends on the machine, and results do not depend on it
  { key: 'threads', name: 'threads', url: 'threads', label: 'Threads', local: true },
];

/** @type {Field[]} filled in place from the schema (so importers may hold the array) */
export const FIELDS = [];
/** @type {Record<string, Field>} */
export const FIELD_BY_KEY = {};
const FIELD_BY_URL = new Map();

/** The schema as the module gave it, and its fields by configuration name. */
let SCHEMA = null;
let BY_NAME = {};

/** Crop padding used when the toggle is on: the core's default (set from the schema). */
export let CROP_PAD = 0;
/** Cutout size used when the toggle is on (the core's default is off, so the page picks one). */
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

/** Display names of the schedules (the step one says its parameters, from the schema). */
export const SCHEDULE_NAMES = { onecycle: 'OneCycle', step: 'Step', const: 'Constant' };

/** The page's run objects name some fields differently from the configuration (app.js reads them). */
const VIEW_NAME = { crop: 'augCrop', flip: 'augFlip', cutout: 'augCutout' };
const camel = (s) => s.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const viewName = (name) => VIEW_NAME[name] || camel(name);

/**
 * Installs the settings table (NormLab.schema(): {fields: [{name, type, min, max, min_open,
 * max_open, options, default, defaults, presets, help}, ...]}) and builds the form fields.
 * @param {{fields: object[]}} schema
 */
export function setSchema(schema) {
  if (!schema || !Array.isArray(schema.fields)) throw new Error('settings: not a settings schema');
  SCHEMA = schema;
  BY_NAME = Object.fromEntries(schema.fields.map((f) => [f.name, f]));
  FIELDS.length = 0;
  for (const k of Object.keys(FIELD_BY_KEY)) delete FIELD_BY_KEY[k];
  FIELD_BY_URL.clear();
  for (const form of FORM) {
    const s = BY_NAME[form.name];
    if (!s) throw new Error(`settings: the engine has no setting '${form.name}'`);
    /** @type {Field} */
    const f = { key: form.key, name: form.name, url: form.url, label: form.label, help: s.help };
    if (form.local) f.local = true;
    if (form.toggle || s.type === 'bool') f.type = 'bool';
    else if (form.options || s.type === 'enum') {
      f.type = 'enum';
      f.options = form.options || s.options;
    } else if (s.type === 'seed') f.type = 'seed';
    else {
      f.type = s.type === 'int' ? 'int' : 'num';
      f.min = s.min;
      f.max = s.max;
      if (s.min_open) f.minOpen = true;
      if (s.max_open) f.maxOpen = true;
      if (form.choices) f.choices = form.choices;
    }
    FIELDS.push(f);
    FIELD_BY_KEY[f.key] = f;
    FIELD_BY_URL.set(f.url, f);
  }
  CROP_PAD = BY_NAME.crop.default;
  const d = scheduleDefaults();
  SCHEDULE_NAMES.step = `Step (x${d.step_gamma} every ${d.step_epochs} epochs)`;
}

/** The installed schema (null before setSchema). */
export function schema() {
  return SCHEMA;
}

function need() {
  if (!SCHEMA) throw new Error('settings: the settings table of the engine is not loaded');
}

/** A field's default for a norm (the table may differ per norm). */
function defaultOf(name, norm = 'bn') {
  need();
  const s = BY_NAME[name];
  return s.defaults ? s.defaults[norm] : s.default;
}

/** Defaults of the schedule parameters the page does not expose (lrAt uses them). */
export function scheduleDefaults(norm = 'bn') {
  const out = {};
  for (const n of ['pct_start', 'div_factor', 'final_div_factor', 'step_epochs', 'step_gamma']) out[n] = defaultOf(n, norm);
  return out;
}

/**
 * Default raw values (strings and booleans, as the form holds them), for a norm (the core
 * keeps per-norm defaults: picking GN gives the GN recipe).
 * @param {{threads?: number}} [ctx] threads: the default thread count of this machine
 * @param {'bn'|'gn'|'ln'} [norm]
 * @returns {Record<string, string|boolean>}
 */
export function defaults(ctx = {}, norm = 'bn') {
  if (!SCHEMA) return {}; // no engine: the page says so; nothing can run anyway
  const out = {};
  for (const f of FIELDS) {
    const d = f.key === 'norm' ? norm : defaultOf(f.name, norm);
    out[f.key] = f.type === 'bool' ? Boolean(d) : String(d);
  }
  out.threads = String(ctx.threads || 1);
  return out;
}

/** Form values equal as settings ('0.10' and '0.1' are; booleans by truth). */
function sameRaw(f, a, b) {
  if (f.type === 'bool') return Boolean(a === true || parseBool(a)?.value) === Boolean(b === true || parseBool(b)?.value);
  const x = String(a ?? '').trim();
  const y = String(b ?? '').trim();
  if (x === y) return true;
  if (f.type === 'int' || f.type === 'num') {
    const p = parseNumber(x);
    const q = parseNumber(y);
    return !p.error && !q.error && p.value === q.value;
  }
  return false;
}

/**
 * The form's raw values after the user picks another norm: every field still at the old
 * norm's default takes the new norm's default (the per-norm recipe); fields the user changed
 * keep their value. The machine-specific ones (threads) are left alone.
 * @param {Record<string, any>} raw @param {string} from old norm ('' = none: BN's recipe)
 * @param {'bn'|'gn'|'ln'} to @param {{threads?: number}} [ctx]
 */
export function switchNorm(raw, from, to, ctx = {}) {
  const before = defaults(ctx, from || 'bn');
  const after = defaults(ctx, to);
  const out = { ...raw, norm: to };
  for (const f of FIELDS) {
    if (f.key === 'norm' || f.local) continue;
    if (sameRaw(f, raw[f.key], before[f.key])) out[f.key] = after[f.key];
  }
  return out;
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
      if (BigInt(s) > BigInt(BY_NAME.seed.max)) return { error: 'At most 2^64 - 1' };
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
  if (!SCHEMA) errors.norm = 'The training engine is not loaded';
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
  if (!errors.zeroInitSkip && values.zeroInitSkip && values.order !== 'relu_norm') {
    errors.zeroInitSkip = 'Needs order ReLU → norm (a zero scale before a ReLU never learns)';
  }
  if (!errors.batch && ctx.trainSize && values.batch > ctx.trainSize) {
    errors.batch = `Larger than the training set (${ctx.trainSize} images)`;
  }
  return { ok: Object.keys(errors).length === 0, values, errors, warnings };
}

/**
 * The configuration (Wasm API, `normlab train --config`) for validated values: only what
 * the form sets; the core fills in the rest with its defaults for the norm.
 * @param {Record<string, any>} v validated values @param {'bn'|'gn'|'ln'} [norm] override (for Compare)
 * @returns {Record<string, any>}
 */
export function toConfig(v, norm = v.norm) {
  const c = { norm };
  if (norm === 'gn' && Number(v.groups) > 0) c.groups = Number(v.groups);
  for (const f of FIELDS) {
    if (f.key === 'norm' || f.key === 'groups' || v[f.key] === undefined) continue;
    // the model levers only when not at the norm's default: model objects stay {norm, groups}
    // for today's network (legends, run records, runs saved before the levers existed)
    if (BY_NAME[f.name].section === 'model' && v[f.key] === defaultOf(f.name, norm)) continue;
    let x = v[f.key];
    if (f.key === 'augCrop') x = x ? CROP_PAD : 0;
    else if (f.key === 'augCutout') x = x ? CUTOUT_SIZE : 0;
    else if (f.key === 'augFlip') x = !!x;
    c[f.name] = x;
  }
  return c;
}

/**
 * The page's run objects ({model, settings}, the names app.js reads: maxLr, augCrop, ...)
 * for a configuration, and back. The worker speaks configurations to the engine.
 * @param {Record<string, any>} config @returns {{model: object, settings: object}}
 */
export function viewFromConfig(config) {
  need();
  const model = {};
  const settings = {};
  for (const [name, value] of Object.entries(config)) {
    const s = BY_NAME[name];
    if (!s) continue; // format, version
    (s.section === 'model' ? model : settings)[viewName(name)] = value;
  }
  return { model, settings };
}

/** @param {{model?: object, settings?: object}} view @returns {Record<string, any>} */
export function configFromView(view) {
  need();
  const byView = Object.fromEntries(SCHEMA.fields.map((f) => [viewName(f.name), f.name]));
  const c = {};
  for (const part of [view.model || {}, view.settings || {}]) {
    for (const [k, value] of Object.entries(part)) {
      if (value === undefined) continue;
      if (!(k in byView)) throw new Error(`settings: unknown setting '${k}'`);
      c[byView[k]] = value;
    }
  }
  return c;
}

/**
 * The page's run objects for validated values (what app.js keeps per run).
 * @param {Record<string, any>} v validated values @param {'bn'|'gn'|'ln'} [norm] override (for Compare)
 * @returns {{model: object, settings: object}}
 */
export function toApi(v, norm = v.norm) {
  return viewFromConfig(toConfig(v, norm));
}

/**
 * A short name of a model for legends and tables.
 * @param {{norm?: string, groups?: number, groupSize?: number, group_size?: number}} model
 */
export function variantLabel(model) {
  const norm = model.norm || 'bn';
  if (norm === 'bn') return 'BN';
  if (norm === 'ln') return 'LN';
  if (model.groups > 0) return `GN (${model.groups} groups)`;
  const size = model.group_size ?? model.groupSize ?? (SCHEMA ? defaultOf('group_size', 'gn') : '?');
  return `GN (${size} ch/group)`;
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
 * Raw form values from a configuration (a checkpoint's, flat) or a run's {model, settings}.
 * @param {Record<string, any>} cfg @param {Record<string, any>} defs
 */
export function rawFromConfig(cfg, defs) {
  const c = cfg.model || cfg.settings ? configFromView(cfg) : cfg;
  const r = { ...defs };
  for (const f of FIELDS) {
    const x = c[f.name];
    if (x === undefined || f.local) continue;
    if (f.key === 'groups') r.groups = c.norm === 'gn' && f.options.includes(String(x)) ? String(x) : '0';
    else if (f.type === 'bool') r[f.key] = typeof x === 'boolean' ? x : x > 0;
    else if (f.type === 'num') r[f.key] = String(roundFloat(x));
    else r[f.key] = String(x);
  }
  return r;
}

/** A float32 value as a person would have typed it (0.0500000007 -> 0.05). */
export function roundFloat(x) {
  return Number(Number(x).toPrecision(7));
}
