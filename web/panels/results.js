// The results table: one row per run (show in charts, settings, accuracies, epochs, time,
// downloads, remove), the metrics exports, and checkpoints (download, load a file).
import { SCHEDULE_NAMES, variantLabel } from '../lib/settings.js';
import { runsToCsv, runsToJson, summarize } from '../lib/metrics.js';
import { formatDuration, formatInt, formatPct, formatSci, slug } from '../lib/format.js';
import { addRun, removeRun, runById } from '../lib/run_state.js';
import { nextStepOf } from '../lib/run_records.js';
import { downloadBlob } from '../charts.js';
import { $, send, showMsg, state, toast } from './common.js';
import { canTrainNow, enterContinueMode, leaveContinueMode, resumeRun } from './continue.js';
import { renderConfusionSelect, renderMistakes } from './mistakes.js';
import { scheduleDraw } from './redraw.js';
import { updateControls } from './run.js';
import { forgetAllRuns, forgetRuns, saveRun, storedCheckpoint } from './saved_runs.js';

function settingsSummary(s) {
  if (!s) return '';
  const aug = [s.augCrop ? 'crop' : null, s.augFlip ? 'flip' : null, s.augCutout ? 'cutout' : null].filter(Boolean).join('+') || 'no aug.';
  const items = [
    `LR ${formatSci(s.maxLr)} ${SCHEDULE_NAMES[s.schedule]?.split(' ')[0] || s.schedule}`,
    `batch ${s.batch}`, `L1 ${formatSci(s.l1)}`, `L2 ${formatSci(s.l2)}`, aug, `seed ${s.seed}`,
  ];
  // quick mode: the share of the training images (older runs have none: all of them)
  const frac = s.trainFraction ?? 1;
  items.push(`${Number((frac * 100).toPrecision(4))}% of the data`);
  return items.map((t) => t.replace(/ /g, '\u00a0')).join(' · '); // break only between items
}

const STATUS_TEXT = {
  queued: 'queued', running: 'training…', stopped: 'stopped', error: 'failed', loaded: 'from file', cancelled: 'cancelled',
  interrupted: 'interrupted',
};

function button(text, title, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  b.title = title;
  b.addEventListener('click', (e) => {
    e.stopPropagation();
    onClick();
  });
  return b;
}

function runRow(run, s, bestTest) {
  const tr = document.createElement('tr');
  tr.dataset.run = String(run.id);
  if (run.id === state.selectedRun) tr.classList.add('selected');
  const td = (text, cls, label) => {
    const c = document.createElement('td');
    if (label) c.dataset.label = label;
    if (text instanceof Node) c.append(text);
    else c.textContent = text;
    if (cls) c.className = cls;
    tr.append(c);
    return c;
  };
  const show = document.createElement('input');
  show.type = 'checkbox';
  show.checked = run.visible;
  show.title = 'Show in the charts';
  show.setAttribute('aria-label', `Show ${run.label} in the charts`);
  show.addEventListener('change', () => {
    run.visible = show.checked;
    saveRun(run);
    scheduleDraw('curves');
  });
  td(show, 'c-show');
  const name = document.createElement('span');
  name.className = 'run-name';
  const sw = document.createElement('span');
  sw.className = 'swatch';
  sw.style.background = run.color;
  name.append(sw, run.label);
  const status = STATUS_TEXT[run.status];
  if (status) {
    const st = document.createElement('span');
    st.className = `status ${run.status}`;
    st.textContent = status;
    if (run.error) st.title = run.error;
    name.append(st);
  }
  const cellName = td(name, 'c-name');
  const summary = document.createElement('div');
  summary.className = 'settings';
  // an imported run (panels/import_run.js): its files, and its settings when its weights came
  summary.textContent = run.source === 'imported'
    ? [`from ${run.fileName}`, run.settings && run.settings.maxLr !== undefined ? settingsSummary(run.settings) : ''].filter(Boolean).join(' · ')
    : settingsSummary(run.settings);
  cellName.append(summary);
  td(Number.isFinite(run.paramCount) ? formatInt(run.paramCount) : '–', 'num', 'Params');
  td(formatPct(s.bestTrainAcc), 'num', 'Best train');
  const bt = td(formatPct(s.bestTestAcc), 'num', 'Best test');
  if (Number.isFinite(s.bestTestAcc) && s.bestTestAcc === bestTest && state.runs.length > 1) bt.classList.add('best');
  td(run.source === 'checkpoint' ? String(run.epochsDone) : `${run.epochsDone} / ${run.epochsPlanned}`, 'num', 'Epochs');
  td(Number.isFinite(run.seconds) && run.source !== 'checkpoint' ? formatDuration(run.seconds) : '–', 'num', 'Time');
  const actions = td('', 'actions');
  const ck = button('Checkpoint', 'Download the trained weights (loads back here and in the normlab CLI)',
    () => send({ type: 'saveCheckpoint', id: run.id }));
  ck.disabled = !['finished', 'stopped', 'loaded', 'error', 'interrupted'].includes(run.status) || run.globalStep === 0 && run.source !== 'checkpoint';
  const next = nextStepOf(run, !!state.engine?.setEpochs);
  let go = null;
  if (next === 'resume') {
    go = button('Resume', `Train on from epoch ${run.epochsDone} to ${run.epochsPlanned} (the last saved epoch: the result is the same as without the interruption)`, () => resumeRun(run));
    go.className = 'primary';
  } else if (next === 'continue') {
    go = button('Continue', 'Train this run for more epochs: its settings go into the form', () => enterContinueMode(run));
  }
  if (go) {
    go.dataset.next = next;
    go.disabled = !canTrainNow();
  }
  let st = null;
  if (state.engine && state.engine.safetensors) {
    st = button('PyTorch', 'Download the weights as .safetensors for PyTorch (see tools/pytorch/ in the repository)',
      () => send({ type: 'exportSafetensors', id: run.id }));
    st.disabled = ck.disabled;
  }
  const rm = button('✕', 'Remove this run (also from this browser)', () => {
    if (!removeRun(state, run.id)) return;
    send({ type: 'dropCheckpoint', id: run.id });
    forgetRuns([run.id]);
    if (state.continueFrom === run.id) leaveContinueMode();
    renderAllRuns();
  });
  rm.setAttribute('aria-label', `Remove ${run.label}`);
  rm.disabled = run.status === 'running' || run.status === 'queued';
  const wrap = document.createElement('div');
  wrap.className = 'row-buttons';
  wrap.append(...[ck, st, go, rm].filter(Boolean));
  actions.append(wrap);
  tr.addEventListener('click', () => {
    if (!run.finalEval) return;
    state.selectedRun = run.id;
    renderResults();
    renderConfusionSelect();
    scheduleDraw('confusion');
  });
  return tr;
}

export function renderResults() {
  const sums = state.runs.map((r) => summarize(r));
  const bestTest = Math.max(...sums.map((s) => (Number.isFinite(s.bestTestAcc) ? s.bestTestAcc : -1)));
  $('results-body').replaceChildren(...state.runs.map((run, i) => runRow(run, sums[i], bestTest)));
  $('results-empty').hidden = state.runs.length > 0;
  updateControls();
}

/** Redraws everything that shows runs. */
export function renderAllRuns() {
  renderResults();
  renderMistakes();
  renderConfusionSelect();
  scheduleDraw('curves', 'confusion');
}

$('clear-runs').addEventListener('click', () => {
  if (state.training !== 'idle') return;
  for (const r of state.runs) send({ type: 'dropCheckpoint', id: r.id });
  state.runs = [];
  state.selectedRun = null;
  leaveContinueMode();
  $('progress').hidden = true;
  forgetAllRuns();
  renderAllRuns();
});

// ---- exports

function exportMeta() {
  return {
    created: new Date().toISOString(),
    classNames: state.data ? state.data.classNames : null,
    dataset: state.data ? { name: state.data.name, train: state.data.info.train, test: state.data.info.test } : null,
    engine: state.engine ? { variant: state.engine.variant, threads: state.engine.threads, kernels: state.engine.kernels } : null,
  };
}

$('export-csv').addEventListener('click', () => {
  downloadBlob(new Blob([runsToCsv(state.runs)], { type: 'text/csv' }), 'normlab-metrics.csv');
});
$('export-json').addEventListener('click', () => {
  const json = JSON.stringify(runsToJson(state.runs, exportMeta()), null, 1);
  downloadBlob(new Blob([json], { type: 'application/json' }), 'normlab-metrics.json');
});

// ---- checkpoints

/** The worker's 'checkpoint' message: the bytes of a run's checkpoint, to download. */
export function onCheckpoint(m) {
  const run = runById(state, m.id);
  const name = `normlab-${slug(run ? run.label : 'run')}-epoch${run ? run.epochsDone : 0}.ckpt`;
  downloadBlob(new Blob([m.bytes], { type: 'application/octet-stream' }), name);
}

/** The worker's 'safetensors' message: the weights for PyTorch, to download. */
export function onSafetensors(m) {
  const run = runById(state, m.id);
  downloadBlob(new Blob([m.bytes], { type: 'application/octet-stream' }), `normlab-${slug(run ? run.label : 'run')}.safetensors`);
}

/** Checkpoint files being loaded, by run id (kept in the browser once they load). */
const loadingFiles = new Map();

$('load-ckpt').addEventListener('click', () => $('ckpt-input').click());
$('ckpt-input').addEventListener('change', (e) => {
  const file = e.target.files[0];
  e.target.value = '';
  if (!file) return;
  $('ckpt-error').hidden = true;
  const id = state.nextId++;
  loadingFiles.set(id, file);
  send({ type: 'loadCheckpoint', id, file });
  toast(`Loading ${file.name}…`);
});

/** Checkpoints loaded before the data set: evaluated once it is there. */
export async function evaluateLoadedCheckpoints() {
  for (const run of state.runs.filter((r) => (r.source === 'checkpoint' || r.hasWeights) && !r.finalEval)) {
    const bytes = await storedCheckpoint(run.id);
    if (!bytes || !state.data) continue;
    send({ type: 'loadCheckpoint', id: run.id, file: new File([bytes], run.fileName || `${slug(run.label)}.ckpt`) });
  }
}

export async function onCheckpointLoaded(m) {
  const known = runById(state, m.id);
  if (known) { // evaluated now that the data set is there
    known.finalEval = m.eval;
    if (m.eval) toast(`${known.label}: test accuracy ${formatPct(m.eval.acc)}`, 4000);
    saveRun(known);
    renderAllRuns();
    return;
  }
  const cfg = m.config;
  const p = m.progress;
  const epochsDone = p.stepsPerEpoch ? Math.floor(p.globalStep / p.stepsPerEpoch) : 0;
  const run = addRun(state, cfg.model, cfg.settings, {
    id: m.id,
    label: `${variantLabel(cfg.model)} (file)`,
    status: 'loaded',
    source: 'checkpoint',
    paramCount: m.paramCount,
    epochsDone,
    epochsPlanned: cfg.settings.epochs,
    globalStep: p.globalStep,
    totalSteps: p.totalSteps,
    stepsPerEpoch: p.stepsPerEpoch,
    finalEval: m.eval,
    fileName: m.name,
    seconds: NaN,
  });
  state.selectedRun = run.id;
  toast(m.eval ? `${m.name}: test accuracy ${formatPct(m.eval.acc)}` : `${m.name} loaded (it is evaluated once the data set is loaded)`, 4000);
  renderAllRuns();
  const file = loadingFiles.get(m.id);
  loadingFiles.delete(m.id);
  if (file) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    run.storedStep = undefined;
    saveRun(run, { step: run.globalStep, bytes });
  }
}

export function onCheckpointError(m) {
  $('toast').hidden = true;
  showMsg($('ckpt-error'), m.message);
}
