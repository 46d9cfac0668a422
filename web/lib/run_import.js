// "Import a run": a run trained elsewhere (`normlab train --metrics-out`, or
// tools/pytorch/train.py on a GPU or with DDP) shown beside the page's runs. Its metrics file
// (JSONL, one object per epoch) gives the curves and the table; the weights (.safetensors),
// when given, are evaluated here for the mistakes and the confusion matrix. Pure: no DOM, no
// worker; panels/import_run.js reads the files and the worker loads the weights.

/** Fields every line of a metrics file has, as `normlab train --metrics-out` writes them. */
export const REQUIRED = ['epoch', 'train_loss', 'train_acc', 'test_loss', 'test_acc', 'lr'];
const OPTIONAL_NUMBERS = ['val_loss', 'val_acc', 'seconds', 'images_per_sec', 'params'];
const ACCURACIES = ['train_acc', 'test_acc', 'val_acc'];
const NORMS = ['bn', 'gn', 'ln'];
export const MAX_EPOCHS = 100000;

export class ImportError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ImportError';
  }
}

/**
 * What a file is from its name and first bytes: 'safetensors' (8-byte little-endian header
 * length, then a JSON object), 'metrics' (text that starts with a JSON object), else 'unknown'.
 * @param {string} name @param {Uint8Array} head at least the first 9 bytes when the file has them
 * @returns {'safetensors'|'metrics'|'unknown'}
 */
export function fileKind(name, head) {
  if (head.length >= 9 && head[8] === 0x7b /* { */) {
    let n = 0;
    for (let i = 7; i >= 0; i--) n = n * 256 + head[i];
    if (n > 1 && n < 2 ** 40) return 'safetensors';
  }
  let i = 0;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) i = 3; // UTF-8 byte order mark
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09)) i++;
  if (head[i] === 0x7b) return 'metrics';
  return /\.safetensors$/i.test(name) ? 'safetensors' : 'unknown';
}

/**
 * The metrics file and the weights among the chosen files: exactly one metrics file, at most
 * one .safetensors.
 * @param {Array<{name: string, kind: string}>} files
 * @returns {{metrics: object, weights: object|null}} the entries of files
 */
export function pickFiles(files) {
  const metrics = files.filter((f) => f.kind === 'metrics');
  const weights = files.filter((f) => f.kind === 'safetensors');
  const other = files.filter((f) => f.kind !== 'metrics' && f.kind !== 'safetensors');
  if (other.length) {
    throw new ImportError(`${other.map((f) => f.name).join(', ')}: not a metrics file (JSONL) or .safetensors weights`);
  }
  if (metrics.length !== 1) {
    throw new ImportError(metrics.length
      ? `pick one metrics file at a time (got ${metrics.map((f) => f.name).join(', ')})`
      : 'pick the run\'s metrics file (JSONL from normlab train --metrics-out or train.py), optionally with its .safetensors');
  }
  if (weights.length > 1) throw new ImportError(`pick at most one .safetensors file (got ${weights.map((f) => f.name).join(', ')})`);
  return { metrics: metrics[0], weights: weights[0] || null };
}

/**
 * Parses a metrics file: one JSON object per line (blank lines skipped), epochs 1, 2, 3, ...
 * @param {string} text @param {string} [name] for messages
 * @returns {{epochs: object[], norm: string|null, params: number|null, hasVal: boolean}}
 *   epochs as the page records them (EpochRecord of lib/metrics.js, with valLoss/valAcc)
 */
export function parseMetrics(text, name = 'metrics') {
  const lines = text.replace(/^\ufeff/, '').split(/\r?\n/);
  const epochs = [];
  let norm = null;
  let params = null;
  let hasVal = null;
  lines.forEach((line, k) => {
    if (!line.trim()) return;
    const where = `${name}, line ${k + 1}`;
    let o;
    try {
      o = JSON.parse(line);
    } catch {
      throw new ImportError(`${where}: not JSON (a metrics file has one JSON object per line)`);
    }
    if (!o || typeof o !== 'object' || Array.isArray(o)) throw new ImportError(`${where}: not a JSON object`);
    const missing = REQUIRED.filter((f) => !(f in o));
    if (missing.length) throw new ImportError(`${where}: missing ${missing.join(', ')} (is it a normlab train --metrics-out file?)`);
    for (const f of [...REQUIRED, ...OPTIONAL_NUMBERS]) {
      if (f in o && !(typeof o[f] === 'number' && Number.isFinite(o[f]))) {
        throw new ImportError(`${where}: ${f} must be a finite number, got ${JSON.stringify(o[f])}`);
      }
    }
    for (const f of ACCURACIES) {
      if (f in o && !(o[f] >= 0 && o[f] <= 1)) throw new ImportError(`${where}: ${f} must be a fraction in [0, 1], got ${o[f]}`);
    }
    if (o.train_loss < 0 || o.test_loss < 0 || o.lr < 0 || ('val_loss' in o && o.val_loss < 0)) {
      throw new ImportError(`${where}: losses and the learning rate cannot be negative`);
    }
    if (o.epoch !== epochs.length + 1) {
      throw new ImportError(`${where}: epoch ${o.epoch} where epoch ${epochs.length + 1} was expected (epochs count 1, 2, 3, ...)`);
    }
    if (epochs.length >= MAX_EPOCHS) throw new ImportError(`${where}: more than ${MAX_EPOCHS} epochs`);
    if ('norm' in o) {
      if (!NORMS.includes(o.norm)) throw new ImportError(`${where}: norm must be bn, gn or ln, got ${JSON.stringify(o.norm)}`);
      if (norm && o.norm !== norm) throw new ImportError(`${where}: norm ${o.norm} after ${norm} (two runs in one file?)`);
      norm = o.norm;
    }
    if ('params' in o) params = o.params;
    const val = 'val_acc' in o && 'val_loss' in o;
    if (hasVal !== null && val !== hasVal) throw new ImportError(`${where}: val_loss/val_acc in some lines only`);
    hasVal = val;
    const e = {
      epoch: o.epoch, trainLoss: o.train_loss, trainAcc: o.train_acc, testLoss: o.test_loss, testAcc: o.test_acc,
      lr: o.lr, seconds: NaN, epochSeconds: Number.isFinite(o.seconds) ? o.seconds : NaN,
    };
    if (val) {
      e.valLoss = o.val_loss;
      e.valAcc = o.val_acc;
    }
    epochs.push(e);
  });
  if (!epochs.length) throw new ImportError(`${name}: no epochs in it (empty file?)`);
  // the page's records carry the time so far; the file has each epoch's training time
  let total = 0;
  for (const e of epochs) {
    total += Number.isFinite(e.epochSeconds) ? e.epochSeconds : NaN;
    e.seconds = total;
  }
  return { epochs, norm, params, hasVal: !!hasVal };
}

/**
 * The fields of the page's run record (lib/run_state.js addRun extra) for an imported run.
 * weights: what the worker read from the .safetensors ({model, settings, paramCount, eval}),
 * checked against the metrics (same norm and parameter count).
 * @param {{epochs: object[], norm: string|null, params: number|null}} parsed
 * @param {{metricsName: string, weights?: {name: string, model: object, settings: object, paramCount: number, eval: object|null}}} from
 * @returns {{model: object, settings: object, extra: object}}
 */
export function importedRun(parsed, from) {
  const w = from.weights || null;
  if (w && parsed.norm && w.model.norm !== parsed.norm) {
    throw new ImportError(`${from.metricsName} is a ${parsed.norm.toUpperCase()} run but ${w.name} holds a ${String(w.model.norm).toUpperCase()} model: not the same run`);
  }
  if (w && parsed.params !== null && Number.isFinite(w.paramCount) && w.paramCount !== parsed.params) {
    throw new ImportError(`${from.metricsName} is a run of ${parsed.params} parameters but ${w.name} has ${w.paramCount}: not the same run`);
  }
  const epochs = parsed.epochs;
  const last = epochs[epochs.length - 1];
  const model = w ? w.model : { norm: parsed.norm || 'bn' };
  const settings = w ? { ...w.settings } : {};
  const extra = {
    status: 'imported',
    source: 'imported',
    epochs,
    lrs: epochs.map((e) => [e.epoch, e.lr]),
    epochsDone: epochs.length,
    epochsPlanned: epochs.length,
    seconds: last.seconds,
    paramCount: w && Number.isFinite(w.paramCount) ? w.paramCount : parsed.params ?? NaN,
    finalEval: w ? w.eval || null : null,
    fileName: w ? `${from.metricsName} + ${w.name}` : from.metricsName,
    hasWeights: !!w,
  };
  return { model, settings, extra };
}
