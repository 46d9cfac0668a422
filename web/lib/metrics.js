// Training runs as the page records them, summaries for the results table, and exports
// (CSV, JSON). Pure.

/**
 * @typedef {object} EpochRecord
 * @property {number} epoch 1-based
 * @property {number} trainLoss @property {number} trainAcc  over the epoch's batches (with augmentation)
 * @property {number} testLoss @property {number} testAcc    inference mode on the test set
 * @property {number} lr learning rate at the end of the epoch
 * @property {number} seconds training time so far
 *
 * @typedef {object} Run
 * @property {number} id @property {string} label @property {string} norm
 * @property {object} model @property {object} settings  the API's (resolved) settings
 * @property {number} paramCount @property {string} status
 * @property {EpochRecord[]} epochs
 * @property {Array<[number, number]>} batches [epoch position, loss] per training step
 * @property {Array<[number, number]>} lrs [epoch position, lr]
 * @property {number} seconds
 */

/**
 * Best accuracies and epochs done.
 * @param {Run} run
 * @returns {{bestTrainAcc: number, bestTestAcc: number, bestEpoch: number, epochs: number, lastTestAcc: number}}
 */
export function summarize(run) {
  let bestTrainAcc = NaN;
  let bestTestAcc = NaN;
  let bestEpoch = 0;
  for (const e of run.epochs || []) {
    if (Number.isFinite(e.trainAcc) && !(e.trainAcc <= bestTrainAcc)) bestTrainAcc = e.trainAcc;
    if (Number.isFinite(e.testAcc) && !(e.testAcc <= bestTestAcc)) {
      bestTestAcc = e.testAcc;
      bestEpoch = e.epoch;
    }
  }
  const ep = run.epochs || [];
  let lastTestAcc = ep.length ? ep[ep.length - 1].testAcc : NaN;
  if (run.finalEval && Number.isFinite(run.finalEval.acc)) {
    lastTestAcc = run.finalEval.acc;
    if (!(run.finalEval.acc <= bestTestAcc)) {
      bestTestAcc = run.finalEval.acc;
      bestEpoch = run.epochsDone || bestEpoch;
    }
  }
  return { bestTrainAcc, bestTestAcc, bestEpoch, epochs: run.epochsDone ?? ep.length, lastTestAcc };
}

/** One CSV field (RFC 4180 quoting). @param {unknown} v */
export function csvField(v) {
  if (v === undefined || v === null || (typeof v === 'number' && !Number.isFinite(v))) return '';
  const s = typeof v === 'number' ? String(Number(v.toPrecision(8))) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CSV_COLUMNS = ['run', 'variant', 'norm', 'groups', 'epoch', 'train_loss', 'train_acc', 'test_loss', 'test_acc',
  'lr', 'seconds', 'max_lr', 'schedule', 'l1', 'l2', 'batch', 'epochs_planned', 'aug_crop', 'aug_flip', 'aug_cutout', 'seed', 'params'];

/**
 * Per-epoch metrics of all runs, one row per run and epoch.
 * @param {Run[]} runs @returns {string}
 */
export function runsToCsv(runs) {
  const rows = [CSV_COLUMNS.join(',')];
  for (const r of runs) {
    const s = r.settings || {};
    const m = r.model || {};
    for (const e of r.epochs || []) {
      rows.push([r.id, r.label, m.norm, m.groups || '', e.epoch, e.trainLoss, e.trainAcc, e.testLoss, e.testAcc, e.lr,
        e.seconds, s.maxLr, s.schedule, s.l1, s.l2, s.batch, s.epochs, s.augCrop, s.augFlip, s.augCutout, s.seed,
        r.paramCount].map(csvField).join(','));
    }
  }
  return rows.join('\r\n') + '\r\n';
}

/**
 * All runs as a JSON-ready object (per-epoch metrics, per-step losses, final evaluation).
 * @param {Run[]} runs @param {{classNames?: string[], dataset?: object, engine?: object}} [meta]
 */
export function runsToJson(runs, meta = {}) {
  return {
    format: 'normlab-metrics',
    version: 1,
    created: meta.created || null,
    dataset: meta.dataset || null,
    engine: meta.engine || null,
    classNames: meta.classNames || null,
    runs: runs.map((r) => {
      const sum = summarize(r);
      const ev = r.finalEval;
      return {
        id: r.id,
        label: r.label,
        status: r.status,
        source: r.source || 'trained',
        model: r.model,
        settings: r.settings,
        params: r.paramCount,
        seconds: r.seconds,
        bestTrainAcc: nullIfNaN(sum.bestTrainAcc),
        bestTestAcc: nullIfNaN(sum.bestTestAcc),
        epochs: (r.epochs || []).map((e) => ({ ...e })),
        steps: (r.batches || []).map(([x, loss]) => [round(x, 5), round(loss, 6)]),
        finalEval: ev ? {
          loss: ev.loss,
          acc: ev.acc,
          classAcc: Array.from(ev.classAcc || []),
          confusion: ev.confusion ? Array.from({ length: 10 }, (_, i) => Array.from(ev.confusion.slice(i * 10, i * 10 + 10))) : null,
          misclassified: (ev.mis || []).map((m) => ({ ...m })),
        } : null,
      };
    }),
  };
}

function nullIfNaN(x) {
  return Number.isFinite(x) ? x : null;
}

function round(x, d) {
  return Number.isFinite(x) ? Number(x.toFixed(d)) : null;
}

/**
 * Line styles: a colour per normalization and darker/lighter shades for repeated runs of it.
 */
export const VARIANT_COLOURS = {
  bn: ['#1f6fd1', '#0b3f86', '#74a9ef'],
  gn: ['#e0731b', '#9c4a06', '#f2ab6e'],
  ln: ['#159a6b', '#0a5e40', '#6fcfa8'],
};

/**
 * Colour of a run, given how many runs of its normalization came before it.
 * @param {string} norm @param {number} nth 0-based
 */
export function runColour(norm, nth) {
  const list = VARIANT_COLOURS[norm] || VARIANT_COLOURS.bn;
  return list[nth % list.length];
}
