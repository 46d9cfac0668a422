// The runs of the page and how the worker's messages change them: the training state
// machine (idle, running, pausing, paused, stopping) and the run records (queued, running,
// finished, stopped, error, cancelled, loaded). Pure: no DOM, no worker; the panels draw
// what these functions leave in the state.
import { runColour } from './metrics.js';
import { variantLabel } from './settings.js';
import { autoSmoothing } from './chartmath.js';

/**
 * The training state after an event; events that do not apply leave it unchanged.
 *   start: a queue was sent to the worker        pause / resume / stop: the user's buttons
 *   paused / resumed: the worker confirms         done: the worker finished the queue
 * @param {string} current @param {string} event @returns {string}
 */
export function nextTraining(current, event) {
  switch (event) {
    case 'start': return current === 'idle' ? 'running' : current;
    case 'pause': return current === 'running' ? 'pausing' : current;
    case 'paused': return current === 'running' || current === 'pausing' ? 'paused' : current;
    case 'resume': return current === 'paused' ? 'running' : current;
    case 'resumed': return current === 'paused' || current === 'pausing' ? 'running' : current;
    case 'stop': return current === 'idle' ? current : 'stopping';
    case 'done': return 'idle';
    default: return current;
  }
}

/** @param {{runs: object[]}} state @param {number} id */
export const runById = (state, id) => state.runs.find((r) => r.id === id);

/**
 * Adds a run record (queued) for a model and its settings; label and colour depend on the
 * runs already there (a second BN run is "BN #2", in a darker blue).
 * @param {{runs: object[], nextId: number, report?: {total: number}}} state
 * @param {object} model @param {object} settings @param {object} [extra] fields to set
 */
export function addRun(state, model, settings, extra = {}) {
  const norm = model.norm || 'bn';
  const nth = state.runs.filter((r) => r.norm === norm).length;
  const label = extra.label || variantLabel(model);
  const same = state.runs.filter((r) => r.baseLabel === label).length;
  const run = {
    id: state.nextId++,
    baseLabel: label,
    norm,
    model,
    settings,
    color: runColour(norm, nth),
    visible: true,
    status: 'queued',
    source: 'trained',
    epochs: [],
    batches: [],
    lrs: [],
    finalEval: null,
    epochsDone: 0,
    epochsPlanned: settings.epochs,
    stepsPerEpoch: 0,
    totalSteps: 0,
    globalStep: 0,
    paramCount: state.report ? state.report.total : NaN,
    seconds: 0,
    error: null,
    ...extra,
  };
  run.label = same ? `${label} #${same + 1}` : label;
  state.runs.push(run);
  return run;
}

/**
 * A queue of runs sent to the worker as one 'train' message.
 * @param {number[]} ids
 */
export function startQueue(state, ids) {
  state.queue = { ids, index: 0 };
  state.training = nextTraining(state.training, 'start');
}

/** The run the worker is training now, if any. */
export function currentRun(state) {
  if (!state.queue) return null;
  return runById(state, state.queue.ids[state.queue.index]);
}

/** 'runStart': the worker built the trainer; its resolved config replaces the request. */
export function applyRunStart(state, m) {
  const run = runById(state, m.id);
  if (!run) return null;
  if (state.queue) state.queue.index = m.index;
  run.status = 'running';
  run.resuming = false;
  // a resumed run's worker counts its time from 0 again
  run.secondsBase = Number.isFinite(run.seconds) ? run.seconds : 0;
  run.model = m.config.model;
  run.settings = m.config.settings;
  run.paramCount = m.paramCount;
  run.epochsPlanned = m.epochs;
  state.selectedRun = run.id;
  return run;
}

/** 'progress': the steps of one slice (losses and learning rates per step). */
export function applyProgress(state, m) {
  const run = runById(state, m.id);
  if (!run) return null;
  const p = m.p;
  const spe = p.stepsPerEpoch || 1;
  m.losses.forEach((loss, k) => {
    const x = (m.firstStep + k + 1) / spe;
    run.batches.push([x, loss]);
    run.lrs.push([x, m.lrs[k]]);
  });
  run.globalStep = p.globalStep;
  if (p.totalSteps) run.totalSteps = p.totalSteps;
  if (p.stepsPerEpoch && !run.stepsPerEpoch) {
    run.stepsPerEpoch = p.stepsPerEpoch;
    run.smoothing = autoSmoothing(4 * p.stepsPerEpoch);
  }
  run.seconds = (run.secondsBase || 0) + m.seconds;
  run.lastProgress = p;
  state.ips = state.ips ? 0.7 * state.ips + 0.3 * m.imagesPerSec : m.imagesPerSec;
  return run;
}

/** 'epoch': an epoch's training metrics and its evaluation on the test set. */
export function applyEpoch(state, m) {
  const run = runById(state, m.id);
  if (!run) return null;
  const ev = m.eval;
  run.epochs.push({
    epoch: m.epoch,
    trainLoss: m.trainLoss,
    trainAcc: m.trainAcc,
    testLoss: ev.loss,
    testAcc: ev.acc,
    lr: m.lr,
    seconds: (run.secondsBase || 0) + m.seconds,
  });
  run.epochsDone = m.epoch;
  run.finalEval = ev;
  state.evalSeconds = state.evalSeconds ? 0.5 * state.evalSeconds + 0.5 * m.evalSeconds : m.evalSeconds;
  return run;
}

/** 'runEnd': finished, stopped, cancelled (never started) or error. */
export function applyRunEnd(state, m) {
  const run = runById(state, m.id);
  if (!run) return null;
  run.status = m.status === 'cancelled' && run.resuming ? run.statusBefore : m.status;
  run.resuming = false;
  if (m.seconds) run.seconds = (run.secondsBase || 0) + m.seconds;
  if (m.status === 'error') run.error = m.message;
  return run;
}

/**
 * 'runError': a run could not start (setup: its record goes), or the queue was refused.
 * @returns {object|null} the run it concerns
 */
export function applyRunError(state, m) {
  const run = m.id ? runById(state, m.id) : null;
  if (run && m.setup && run.resuming) {
    run.status = run.statusBefore; // it keeps what it had
    run.resuming = false;
  } else if (run && m.setup) {
    state.runs = state.runs.filter((r) => r !== run);
  } else if (run) {
    run.status = 'error';
    run.error = m.message;
  }
  return run;
}

/**
 * 'queueDone': back to idle; runs cancelled before their first epoch are dropped.
 * @returns {{wasStopping: boolean, count: number, finished: string[], failed: string[]}}
 */
export function applyQueueDone(state) {
  const wasStopping = state.training === 'stopping';
  state.runs = state.runs.filter((r) => !(r.status === 'cancelled' && r.epochs.length === 0));
  const q = state.queue;
  state.queue = null;
  state.training = nextTraining(state.training, 'done');
  const qRuns = q ? q.ids.map((id) => runById(state, id)).filter(Boolean) : [];
  return {
    wasStopping,
    count: q ? q.ids.length : 1,
    finished: qRuns.filter((r) => r.status === 'finished').map((r) => r.label),
    failed: qRuns.filter((r) => r.status === 'error').map((r) => r.label),
  };
}

/**
 * Queues a run that has weights to be trained further (Resume, Continue); the worker
 * starts it from its checkpoint. If it cannot start, it keeps its status.
 */
export function requeueRun(run) {
  run.statusBefore = run.status;
  run.status = 'queued';
  run.resuming = true;
  run.error = null;
}

/** Removes one run (not while it trains or waits). @returns {boolean} removed */
export function removeRun(state, id) {
  const run = runById(state, id);
  if (!run || run.status === 'running' || run.status === 'queued') return false;
  state.runs = state.runs.filter((r) => r !== run);
  if (state.selectedRun === id) state.selectedRun = null;
  return true;
}

/** The run whose evaluation the confusion matrix shows: the selected one, else the last. */
export function selectedEvalRun(state) {
  const withEval = state.runs.filter((r) => r.finalEval);
  if (!withEval.some((r) => r.id === state.selectedRun)) {
    state.selectedRun = withEval.length ? withEval[withEval.length - 1].id : null;
  }
  return runById(state, state.selectedRun) || null;
}
