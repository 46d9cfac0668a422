// The Train panel (step 3): Train / Compare / Pause / Stop, the progress bars and live
// figures, and the worker's run messages (through lib/run_state.js), which then redraw the
// results, the curves and the evaluation panels.
import { COMPARE_NORMS, toApi } from '../lib/settings.js';
import { etaSeconds, formatDuration, formatInt, formatLoss, formatSci } from '../lib/format.js';
import {
  addRun, applyEpoch, applyProgress, applyQueueDone, applyRunEnd, applyRunError, applyRunStart, currentRun,
  nextTraining, startQueue,
} from '../lib/run_state.js';
import { $, send, showMsg, state } from './common.js';
import { continueRun, showContinueMode } from './continue.js';
import { focusInvalid, validateForm } from './form.js';
import { renderConfusionSelect, renderMistakes } from './mistakes.js';
import { scheduleDraw } from './redraw.js';
import { renderResults } from './results.js';
import { forgetRuns, saveRun } from './saved_runs.js';

/** Applies a training event (lib/run_state.js) and shows the new state. */
export function setTraining(event) {
  state.training = nextTraining(state.training, event);
  showTraining();
}

function showTraining() {
  document.documentElement.dataset.training = state.training;
  updateProgressTitle();
  updateControls();
}

/** Enables the buttons that apply now and says what to do next. */
export function updateControls() {
  const idle = state.training === 'idle';
  const v = state.lastValidation;
  const ready = !!state.engine && !!state.data && !state.dataLoading && !state.restoring;
  const canStart = ready && idle && v && v.ok;
  const continuing = showContinueMode();
  $('start').disabled = !canStart || (!!state.continueFrom && !continuing);
  $('compare').disabled = !canStart || !!state.continueFrom;
  const pause = $('pause');
  pause.disabled = !(state.training === 'running' || state.training === 'paused');
  pause.textContent = state.training === 'paused' ? 'Resume' : state.training === 'pausing' ? 'Pausing…' : 'Pause';
  pause.classList.toggle('primary', state.training === 'paused');
  $('stop').disabled = idle || state.training === 'stopping';
  $('settings-fields').disabled = !idle;
  $('reset').disabled = !idle || !!state.continueFrom;
  $('data-forget').disabled = !idle || state.dataLoading;
  $('data-replace').disabled = !idle || state.dataLoading;
  $('data-input').disabled = !idle;
  $('load-ckpt').disabled = !state.engine || !idle || state.restoring;
  $('export-config').disabled = !state.engine;
  const hasRuns = state.runs.length > 0;
  $('export-csv').disabled = !state.runs.some((r) => r.epochs.length);
  $('export-json').disabled = !hasRuns;
  $('clear-runs').disabled = !hasRuns || !idle;
  for (const b of document.querySelectorAll('#results-body button[data-next]')) b.disabled = !ready || !idle;
  let hint = '';
  if (state.engineError) hint = 'The engine could not start (see the message above).';
  else if (!state.engine) hint = 'Starting the WebAssembly engine…';
  else if (state.dataLoading) hint = 'Loading the data set…';
  else if (!state.data) hint = 'Load the data set (step 1) to start training.';
  else if (v && !v.ok) hint = 'Fix the settings marked in red to start.';
  else if (idle && state.continueFrom) hint = state.engine.setEpochs ? 'Set the number of epochs to train up to, then press Continue.' : 'Press Continue to train it on to its planned epochs.';
  else if (idle && state.ips > 0 && v) {
    const steps = Math.ceil(state.data.info.train / v.values.batch) * v.values.epochs;
    const sec = (steps * v.values.batch) / state.ips + v.values.epochs * state.evalSeconds;
    hint = `One run of these settings takes about ${formatDuration(sec)} here (Compare: three runs).`;
  } else if (idle) hint = 'Train one model, or Compare to train BN, GN and LN with the same settings.';
  $('run-hint').textContent = hint;
}

/** Sends a queue of jobs ({id, model, settings}) whose runs are already recorded. */
export function sendQueue(jobs) {
  $('run-error').hidden = true;
  startQueue(state, jobs.map((j) => j.id));
  if (!state.samplesCollapsed) {
    state.samplesCollapsed = true; // once: make room for the curves
    $('samples-panel').open = false;
  }
  state.ips = 0;
  state.selectedRun = null;
  showTraining();
  $('progress').hidden = false;
  send({ type: 'train', jobs });
  renderResults();
  scheduleDraw('curves');
}

function startTraining(norms) {
  const v = validateForm();
  if (!v.ok) {
    focusInvalid();
    return;
  }
  if (!state.data || !state.engine || state.training !== 'idle') return;
  const jobs = norms.map((norm) => {
    const { model, settings } = toApi(v.values, norm);
    const run = addRun(state, model, settings);
    saveRun(run);
    return { id: run.id, model, settings };
  });
  sendQueue(jobs);
}

$('start').addEventListener('click', () => {
  if (state.continueFrom) {
    continueRun();
    return;
  }
  const v = state.lastValidation;
  startTraining([v && v.values.norm ? v.values.norm : 'bn']);
});
$('compare').addEventListener('click', () => startTraining(COMPARE_NORMS));
$('pause').addEventListener('click', () => {
  if (state.training === 'running') {
    send({ type: 'pause' });
    setTraining('pause');
  } else if (state.training === 'paused') {
    send({ type: 'resume' });
    setTraining('resume');
  }
});
$('stop').addEventListener('click', () => {
  if (state.training === 'idle') return;
  send({ type: 'stop' });
  setTraining('stop');
});

function updateProgressTitle() {
  const run = currentRun(state);
  if (!run) return;
  const q = state.queue;
  const what = q.ids.length > 1 ? `Run ${q.index + 1} of ${q.ids.length}: ${run.label}` : `Training ${run.label}`;
  const st = { pausing: ' · pausing…', paused: ' · paused', stopping: ' · stopping…' }[state.training] || '';
  const el = $('progress-title');
  el.textContent = what;
  if (st) {
    const s = document.createElement('span');
    s.className = 'state';
    s.textContent = st;
    el.append(s);
  }
}

function updateProgress(run, p) {
  const q = state.queue;
  if (!q) return;
  const epochFrac = p.stepsPerEpoch ? p.stepInEpoch / p.stepsPerEpoch : 0;
  const epochNo = Math.min(run.epochsPlanned, p.epoch + 1);
  const evaluating = p.epochDone && run.epochsDone < p.epoch + 1;
  $('epoch-label').textContent = evaluating ? `Epoch ${epochNo} of ${run.epochsPlanned} · evaluating on the test set…` : `Epoch ${epochNo} of ${run.epochsPlanned}`;
  $('epoch-pct').textContent = `${Math.floor(epochFrac * 100)}%`;
  $('epoch-bar').style.width = `${epochFrac * 100}%`;
  $('epoch-progress').setAttribute('aria-valuenow', String(Math.floor(epochFrac * 100)));
  const perRun = run.totalSteps || p.totalSteps || 1;
  const totalSteps = perRun * q.ids.length;
  const done = q.index * perRun + p.globalStep;
  const frac = Math.min(1, done / totalSteps);
  $('total-label').textContent = q.ids.length > 1 ? `All ${q.ids.length} runs` : 'Whole run';
  $('total-pct').textContent = `${Math.floor(frac * 100)}%`;
  $('total-bar').style.width = `${frac * 100}%`;
  $('total-progress').setAttribute('aria-valuenow', String(Math.floor(frac * 100)));
  const batch = run.settings.batch || 1;
  const runsLeft = q.ids.length - q.index - 1;
  const eta = etaSeconds({
    stepsLeft: (perRun - p.globalStep) + runsLeft * perRun,
    stepsPerSec: state.ips / batch,
    evalsLeft: (run.epochsPlanned - run.epochsDone - (evaluating ? 1 : 0)) + runsLeft * run.epochsPlanned,
    evalSeconds: state.evalSeconds,
  });
  $('stat-ips').textContent = state.ips ? formatInt(state.ips) : '–';
  $('stat-eta').textContent = formatDuration(eta);
  $('stat-lr').textContent = formatSci(p.lr);
  $('stat-loss').textContent = formatLoss(p.lastLoss);
  document.title = `${Math.floor(frac * 100)}% · ${run.label} · normlab`;
}

// ---- the worker's run messages

export function onRunStart(m) {
  const run = applyRunStart(state, m);
  if (!run) return;
  updateProgressTitle();
  $('epoch-label').textContent = `Epoch ${run.epochsDone + 1} of ${m.epochs}`;
  saveRun(run);
  renderResults();
}

/** The progress figures and the live curves are redrawn at most this often (ms): each redraw
 * costs the page's main thread, the compositor and the browser process CPU time that, when
 * training takes every core, comes out of the training threads (bench/README.md). */
const LIVE_MS = 1000;
let liveShown = 0;
let liveTimer = 0;

function showLive() {
  clearTimeout(liveTimer);
  liveTimer = 0;
  liveShown = performance.now();
  const run = currentRun(state);
  if (run && run.lastProgress) updateProgress(run, run.lastProgress);
  scheduleDraw('curves');
}

export function onProgress(m) {
  const run = applyProgress(state, m);
  if (!run) return;
  const wait = LIVE_MS - (performance.now() - liveShown);
  if (wait <= 0) showLive();
  else if (!liveTimer) liveTimer = setTimeout(showLive, wait);
}

export function onEpoch(m) {
  const run = applyEpoch(state, m);
  if (!run) return;
  run.savedStep = run.globalStep; // the checkpoint of this epoch
  saveRun(run, m.checkpoint ? { step: run.globalStep, bytes: m.checkpoint } : null);
  if (run.lastProgress) updateProgress(run, run.lastProgress);
  renderResults();
  renderMistakes();
  renderConfusionSelect();
  scheduleDraw('curves', 'confusion');
}

export function onRunEnd(m) {
  const run = applyRunEnd(state, m);
  if (!run) return;
  run.heapBytes = m.heapBytes; // the Wasm heap after the trainer was freed (memory.test.mjs)
  if (m.status === 'error') {
    let text = `${run.label}: ${m.message}`;
    if (/loss became/.test(m.message)) text += ' Lower the max learning rate (or the L1/L2 coefficients) and train again.';
    if (/out of memory/i.test(m.message)) text += ' Try a smaller batch size.';
    showMsg($('run-error'), text);
  }
  saveRun(run);
  renderResults();
  renderMistakes();
}

export function onRunError(m) {
  const run = applyRunError(state, m);
  if (run && !state.runs.includes(run)) forgetRuns([run.id]);
  else if (run) saveRun(run);
  showMsg($('run-error'), `Could not start training: ${m.message}${/out of memory/i.test(m.message) ? '. Try a smaller batch size.' : ''}`);
  renderResults();
}

export function onQueueDone() {
  const before = state.runs;
  const { wasStopping, count: n, finished, failed } = applyQueueDone(state);
  forgetRuns(before.filter((r) => !state.runs.includes(r)).map((r) => r.id));
  showTraining();
  document.title = 'normlab · normalization playground for CIFAR-10';
  $('epoch-label').textContent = wasStopping ? 'Stopped' : 'Last epoch done';
  $('total-label').textContent = wasStopping ? 'Stopped' : n > 1 ? `All ${n} runs done` : 'Run done';
  let title = finished.length ? `Finished: ${finished.join(', ')}` : 'Finished';
  if (failed.length) title = `${finished.length ? `${title} · ` : ''}Failed: ${failed.join(', ')}`;
  if (wasStopping) title = 'Training stopped';
  $('progress-title').textContent = title;
  $('stat-eta').textContent = '–';
  if (!wasStopping && !failed.length) {
    $('epoch-bar').style.width = '100%';
    $('total-bar').style.width = '100%';
    $('epoch-pct').textContent = '100%';
    $('total-pct').textContent = '100%';
  }
  renderResults();
  renderMistakes();
  renderConfusionSelect();
  scheduleDraw('curves', 'confusion');
}
