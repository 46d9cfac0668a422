// The playground page (main thread): settings form and URL state, data set loading, run
// control, and drawing. All computation happens in worker.js; this module only keeps the
// page's state and draws what the worker reports.
import {
  COMPARE_NORMS, FIELDS, SCHEDULE_NAMES, decodeHash, defaults, encodeHash, toApi, validate, variantLabel,
} from './lib/settings.js';
import { classifyFiles, baseName } from './lib/datafiles.js';
import { classNames as cleanClassNames } from './lib/cifar.js';
import { runColour, runsToCsv, runsToJson, summarize } from './lib/metrics.js';
import {
  etaSeconds, formatBytes, formatDuration, formatInt, formatLoss, formatPct, formatSci, slug,
} from './lib/format.js';
import { autoSmoothing, smooth } from './lib/chartmath.js';
import { plannedLr } from './lib/schedule.js';
import { initSampleData, labelSample, sampleInsteadOfNothing } from './lib/sample_data.js'; // page hook: sample data
import {
  downloadBlob, drawConfusion, drawLineChart, drawMistakes, drawSamples, savePng, theme,
} from './charts.js';

const $ = (id) => document.getElementById(id);
const PARAM_BUDGET = 50000;
const ISOLATED = self.crossOriginIsolated === true && typeof SharedArrayBuffer !== 'undefined';
const CORES = Math.max(1, navigator.hardwareConcurrency || 1);
const ENGINE_THREADS = ISOLATED ? Math.min(16, CORES) : 1;
const DEFAULTS = defaults({ threads: ISOLATED ? Math.min(8, CORES) : 1 });

const state = {
  engine: null,
  engineError: null,
  serverConfig: undefined,
  data: null,
  dataLoading: false,
  runs: [],
  nextId: 1,
  queue: null,
  training: 'idle', // idle | running | pausing | paused | stopping
  selectedRun: null,
  report: null,
  reportKey: '',
  ips: 0,
  evalSeconds: 0,
  lastValidation: null,
};
// For tests and the curious: the page's state (read-only use).
window.normlab = { state };

// ------------------------------------------------------------------ worker

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
const send = (msg, transfer) => worker.postMessage(msg, transfer || []);
worker.onmessage = (ev) => {
  try {
    onWorkerMessage(ev.data);
  } catch (e) {
    console.error(e);
    showBanner(`The page hit an unexpected error: ${e.message}`);
  }
};
worker.onerror = (ev) => {
  ev.preventDefault?.();
  fatal(`The training worker failed to start${ev.message ? `: ${ev.message}` : ''}. Check that the page is served by tools/serve.mjs and that the Wasm build exists (wasm_bindings/build.sh).`);
};

function onWorkerMessage(m) {
  switch (m.type) {
    case 'ready': return onEngineReady(m.engine);
    case 'fatal': return fatal(m.message);
    case 'error': return showBanner(m.message);
    case 'dataProgress': return onDataProgress(m);
    case 'dataset': return onDataset(m);
    case 'noDataset': return onNoDataset(m);
    case 'dataError': return onDataError(m);
    case 'report': return onReport(m);
    case 'runStart': return onRunStart(m);
    case 'progress': return onProgress(m);
    case 'epoch': return onEpoch(m);
    case 'paused': return setTraining('paused');
    case 'resumed': return setTraining('running');
    case 'runEnd': return onRunEnd(m);
    case 'runError': return onRunError(m);
    case 'queueDone': return onQueueDone();
    case 'checkpoint': return onCheckpoint(m);
    case 'safetensors': {
      const run = runById(m.id);
      return downloadBlob(new Blob([m.bytes], { type: 'application/octet-stream' }), `normlab-${slug(run ? run.label : 'run')}.safetensors`);
    }
    case 'checkpointLoaded': return onCheckpointLoaded(m);
    case 'checkpointError':
      $('toast').hidden = true;
      return showMsg($('ckpt-error'), m.message);
    default: return console.warn('unknown worker message', m);
  }
}

// ------------------------------------------------------------------ engine & banners

function fatal(message) {
  state.engineError = message;
  const b = $('engine-badge');
  b.textContent = 'Engine failed';
  b.className = 'badge bad';
  showBanner(message);
  updateControls();
}

function showBanner(message) {
  const b = $('banner-error');
  b.textContent = message;
  b.hidden = false;
}

function onEngineReady(engine) {
  state.engine = engine;
  document.documentElement.dataset.engine = engine.variant;
  const b = $('engine-badge');
  if (engine.variant === 'mt') {
    b.textContent = `Wasm SIMD · ${engine.threads} thread${engine.threads > 1 ? 's' : ''}`;
    b.className = 'badge ok';
    b.title = 'Multi-threaded WebAssembly build (pthreads + SIMD); the page is cross-origin isolated';
  } else {
    b.textContent = 'Wasm SIMD · single-threaded';
    b.className = 'badge warn';
    b.title = 'Single-threaded WebAssembly build';
  }
  if (engine.note) showBanner(engine.note);
  onFormChange({ keepHash: true });
  requestReport();
  maybeLoadData();
  updateControls();
}

// ------------------------------------------------------------------ settings form

const form = $('settings');

function readForm() {
  const raw = {};
  for (const f of FIELDS) {
    if (f.key === 'norm') {
      raw.norm = form.querySelector('input[name="norm"]:checked')?.value || '';
    } else if (f.type === 'bool') {
      raw[f.key] = form.elements[f.key].checked;
    } else {
      raw[f.key] = form.elements[f.key].value;
    }
  }
  return raw;
}

function writeForm(raw) {
  for (const f of FIELDS) {
    const v = raw[f.key];
    if (v === undefined) continue;
    if (f.key === 'norm') {
      for (const r of form.querySelectorAll('input[name="norm"]')) r.checked = r.value === v;
    } else if (f.type === 'bool') {
      form.elements[f.key].checked = v === true;
    } else if (form.elements[f.key].tagName === 'SELECT') {
      const sel = form.elements[f.key];
      const ok = [...sel.options].some((o) => o.value === String(v));
      sel.value = ok ? String(v) : DEFAULTS[f.key];
    } else {
      form.elements[f.key].value = String(v);
    }
  }
}

function validationContext() {
  return {
    maxThreads: state.engine ? state.engine.threads : ENGINE_THREADS,
    trainSize: state.data ? state.data.info.train : undefined,
  };
}

function showValidation(v) {
  for (const el of form.querySelectorAll('.field[data-field]')) {
    const key = el.dataset.field;
    const msg = el.querySelector('.msg');
    const err = v.errors[key];
    const warn = v.warnings[key];
    el.classList.toggle('invalid', !!err);
    el.classList.toggle('warned', !err && !!warn);
    const input = el.querySelector('input[type="text"], select');
    if (input) input.setAttribute('aria-invalid', err ? 'true' : 'false');
    if (msg) {
      msg.textContent = err || warn || '';
      msg.className = `msg${err ? ' error' : warn ? ' warning' : ''}`;
      if (input && msg.textContent) {
        msg.id = msg.id || `msg-${key}`;
        input.setAttribute('aria-describedby', msg.id);
      }
    }
  }
}

function updateHash(raw) {
  const h = encodeHash(raw, DEFAULTS);
  const url = `${location.pathname}${location.search}${h ? `#${h}` : ''}`;
  if (url !== `${location.pathname}${location.search}${location.hash}`) history.replaceState(null, '', url);
}

function currentModel(v) {
  return toApi(v.values.norm ? v.values : { ...v.values, norm: 'bn' }).model;
}

function onFormChange({ keepHash = false } = {}) {
  const raw = readForm();
  const v = validate(raw, validationContext());
  state.lastValidation = v;
  showValidation(v);
  if (v.ok && !keepHash) updateHash(raw);
  const norm = v.values.norm || 'bn';
  $('groups-field').classList.toggle('inactive', norm !== 'gn');
  $('start').textContent = v.values.norm ? `Train ${variantLabel(currentModel(v))}` : 'Train';
  requestReport();
  updateControls();
  scheduleDraw('curves');
}

form.addEventListener('input', () => onFormChange());
form.addEventListener('change', () => onFormChange());
form.addEventListener('submit', (e) => e.preventDefault());

$('reset').addEventListener('click', () => {
  writeForm(DEFAULTS);
  onFormChange();
});

$('copy-link').addEventListener('click', async () => {
  const raw = readForm();
  updateHash(raw);
  const link = location.href;
  try {
    await navigator.clipboard.writeText(link);
    toast('Link with these settings copied');
  } catch {
    toast(`Copy this link: ${link}`, 6000);
  }
});

window.addEventListener('hashchange', () => {
  if (state.training !== 'idle') return;
  writeForm({ ...DEFAULTS, ...decodeHash(location.search), ...decodeHash(location.hash) });
  onFormChange({ keepHash: true });
});

let toastTimer = 0;
function toast(text, ms = 2500) {
  const t = $('toast');
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, ms);
}

// ------------------------------------------------------------------ network report

let reportTimer = 0;
function requestReport() {
  if (!state.engine) return;
  const v = state.lastValidation;
  if (!v) return;
  const model = currentModel(v);
  const key = JSON.stringify(model);
  if (key === state.reportKey) return;
  state.reportKey = key;
  clearTimeout(reportTimer);
  reportTimer = setTimeout(() => send({ type: 'report', key, model }), 60);
}

function normText(op, norm, groups, c) {
  if (!/\+(bn|gn|ln)/.test(op)) return '–';
  if (norm === 'bn') return 'BN · per channel, over batch';
  if (norm === 'ln') return `LN · 1 group of ${c} ch`;
  const g = groups > 0 ? groups : c % 8 === 0 ? c / 8 : c / 4;
  return `GN · ${g} groups of ${c / g} ch`;
}

function onReport(m) {
  if (m.key !== state.reportKey) return;
  const body = $('network-body');
  const err = $('network-error');
  if (m.error) {
    body.replaceChildren();
    showMsg(err, m.error);
    return;
  }
  err.hidden = true;
  state.report = m.report;
  const model = JSON.parse(m.key);
  $('network-variant').textContent = variantLabel(model);
  const rows = m.report.layers.map((l) => {
    const tr = document.createElement('tr');
    const cells = [
      [l.name, ''],
      [l.op, 'muted'],
      [normText(l.op, model.norm, model.groups || 0, l.out.c), 'muted'],
      [`${l.out.c}×${l.out.h}×${l.out.w}`, 'num'],
      [l.params ? formatInt(l.params) : '0', 'num'],
      [`${l.rf.k} / ${l.rf.s} / ${l.rf.p}`, 'num muted'],
      [String(l.rf.j), 'num'],
      [`${l.rf.r}×${l.rf.r}`, 'num'],
    ];
    for (const [text, cls] of cells) {
      const td = document.createElement('td');
      td.textContent = text;
      if (cls) td.className = cls;
      tr.append(td);
    }
    return tr;
  });
  const total = document.createElement('tr');
  total.className = 'total';
  total.innerHTML = '<td>Total</td><td></td><td></td><td></td><td class="num"></td><td></td><td></td><td></td>';
  total.children[4].textContent = formatInt(m.report.total);
  rows.push(total);
  body.replaceChildren(...rows);
  $('param-total').textContent = formatInt(m.report.total);
  const bar = $('budget-bar');
  bar.style.width = `${Math.min(100, (100 * m.report.total) / PARAM_BUDGET)}%`;
  bar.classList.toggle('over', m.report.total > PARAM_BUDGET);
}

// ------------------------------------------------------------------ data set

async function fetchServerConfig() {
  try {
    const res = await fetch('api/config', { cache: 'no-store' });
    state.serverConfig = res.ok ? await res.json() : null;
  } catch {
    state.serverConfig = null;
  }
  maybeLoadData();
}

let dataRequested = false;
function maybeLoadData() {
  if (dataRequested || !state.engine || state.serverConfig === undefined) return;
  dataRequested = true;
  const ds = state.serverConfig && state.serverConfig.dataset;
  setDataLoading(true, ds ? `Loading ${ds.name} from the server…` : 'Looking for a saved data set…');
  if (ds) send({ type: 'loadServer', kind: ds.kind, name: ds.name, files: ds.files });
  else send({ type: 'loadSaved' });
}

function setDataLoading(on, text) {
  state.dataLoading = on;
  $('data-loading').hidden = !on;
  if (on) {
    $('data-empty').hidden = true;
    $('data-ready').hidden = true;
    $('data-error').hidden = true;
    $('data-loading-text').textContent = text || 'Loading…';
    const bar = $('data-bar');
    bar.classList.add('indeterminate');
    bar.style.width = '';
    const badge = $('data-badge');
    badge.textContent = 'Loading data…';
    badge.className = 'badge busy';
  }
  updateControls();
}

function onDataProgress(m) {
  if (!state.dataLoading) setDataLoading(true, m.text);
  let text = m.text;
  const bar = $('data-bar');
  if (m.phase === 'download' && m.total) {
    bar.classList.remove('indeterminate');
    bar.style.width = `${(100 * m.loaded) / m.total}%`;
    text += ` ${formatBytes(m.loaded)} of ${formatBytes(m.total)}`;
  } else {
    bar.classList.add('indeterminate');
    bar.style.width = '';
  }
  $('data-loading-text').textContent = text;
}

function onDataset(m) {
  setDataLoading(false);
  const names = cleanClassNames(m.info.classNames);
  state.data = { ...m, classNames: names };
  $('data-empty').hidden = true;
  $('data-ready').hidden = false;
  $('data-error').hidden = true;
  $('count-train').textContent = formatInt(m.info.train);
  $('count-test').textContent = formatInt(m.info.test);
  $('count-classes').textContent = String(m.trainCounts.filter((n) => n > 0).length);
  const size = m.size ? ` (${formatBytes(m.size)})` : '';
  let src;
  if (m.source === 'server') src = `From the server: ${m.name}${size}.`;
  else if (m.source === 'saved') src = `Saved in this browser: ${m.name}${size}${m.savedAt ? `, since ${new Date(m.savedAt).toLocaleDateString()}` : ''}.`;
  else if (m.saved) src = `Loaded ${m.name}${size}; kept in this browser for your next visit.`;
  else src = `Loaded ${m.name}${size}. It could not be kept in this browser${m.saveError ? ` (${m.saveError})` : ''}, so a reload will ask again.`;
  const full = m.info.train === 50000 && m.info.test === 10000;
  if (!full) src += ` Note: the official CIFAR-10 has 50,000 training and 10,000 test images; this one is different.`;
  const empty = m.trainCounts.map((n, i) => (n === 0 ? names[i] : null)).filter(Boolean);
  if (empty.length) src += ` No training images of: ${empty.join(', ')}.`;
  $('data-source').textContent = src;
  $('data-forget').hidden = m.source === 'server';
  const badge = $('data-badge');
  badge.textContent = `CIFAR-10 · ${formatInt(m.info.train)} + ${formatInt(m.info.test)} images`;
  badge.className = 'badge ok';
  document.documentElement.dataset.dataset = 'ready';
  $('samples-note').textContent = 'a few training images of each class, and how many the training set holds';
  $('samples').hidden = false;
  scheduleDraw('samples');
  onFormChange({ keepHash: true });
  updateControls();
  labelSample(m, state.data); // page hook: sample data (says "sample", how to get the full set)
}

function onNoDataset(m) {
  if (sampleInsteadOfNothing(m)) return; // page hook: sample data (loads assets/ sample instead)
  setDataLoading(false);
  state.data = null;
  document.documentElement.dataset.dataset = 'none';
  $('data-empty').hidden = false;
  $('data-ready').hidden = true;
  $('samples').hidden = true;
  $('samples-note').textContent = 'Load the data set to see examples of the ten classes.';
  const badge = $('data-badge');
  badge.textContent = 'No data set';
  badge.className = 'badge warn';
  if (m.reason) showMsg($('data-error'), m.reason);
  if (m.forgotten && !m.reason) toast('The data set was removed from this browser');
  updateControls();
}

function onDataError(m) {
  setDataLoading(false);
  if (state.data && m.keep) {
    $('data-ready').hidden = false;
    const badge = $('data-badge');
    badge.textContent = `CIFAR-10 · ${formatInt(state.data.info.train)} + ${formatInt(state.data.info.test)} images`;
    badge.className = 'badge ok';
  } else {
    state.data = null;
    $('data-empty').hidden = false;
    const badge = $('data-badge');
    badge.textContent = 'No data set';
    badge.className = 'badge warn';
  }
  showMsg($('data-error'), m.message);
  updateControls();
}

function showMsg(el, text) {
  el.textContent = text;
  el.hidden = !text;
}

async function filesFromDrop(dt) {
  const items = dt.items ? [...dt.items] : [];
  const entries = items.map((it) => (it.webkitGetAsEntry ? it.webkitGetAsEntry() : null)).filter(Boolean);
  if (!entries.some((e) => e.isDirectory)) return [...dt.files];
  const out = [];
  async function walk(entry, depth) {
    if (entry.isFile) {
      out.push(await new Promise((res, rej) => entry.file(res, rej)));
    } else if (entry.isDirectory && depth < 3) {
      const reader = entry.createReader();
      for (;;) {
        const batch = await new Promise((res, rej) => reader.readEntries(res, rej));
        if (!batch.length) break;
        for (const e of batch) await walk(e, depth + 1);
      }
    }
  }
  for (const e of entries) await walk(e, 0);
  return out;
}

function handleFiles(files) {
  $('data-error').hidden = true;
  if (!files || files.length === 0) return;
  if (state.training !== 'idle') {
    showMsg($('data-error'), 'Stop the training before loading another data set.');
    return;
  }
  if (!state.engine) {
    showMsg($('data-error'), 'The engine is still starting; try again in a moment.');
    return;
  }
  if (state.dataLoading) {
    showMsg($('data-error'), 'A data set is loading; drop the files again when it is done.');
    return;
  }
  const c = classifyFiles(files.map((f) => ({ name: f.webkitRelativePath || f.name, size: f.size })));
  if (c.error) {
    showMsg($('data-error'), c.error);
    return;
  }
  let list;
  let name;
  if (c.kind === 'batches') {
    list = c.order.map((i) => files[i]);
    name = 'the six .bin files';
  } else {
    list = [files[c.index]];
    name = baseName(files[c.index].name);
  }
  setDataLoading(true, `Reading ${name}…`);
  send({ type: 'loadFiles', kind: c.kind, files: list, name });
}

$('data-input').addEventListener('change', (e) => {
  handleFiles([...e.target.files]);
  e.target.value = '';
});
$('data-replace').addEventListener('click', () => $('data-input').click());
$('dropzone').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault();
    $('data-input').click();
  }
});
$('data-forget').addEventListener('click', () => {
  if (state.training !== 'idle') return;
  setDataLoading(true, 'Forgetting the data set…');
  send({ type: 'forget' });
});

let dragDepth = 0;
const hasFiles = (e) => e.dataTransfer && [...(e.dataTransfer.types || [])].includes('Files');
document.addEventListener('dragenter', (e) => {
  if (!hasFiles(e)) return;
  e.preventDefault();
  dragDepth++;
  $('drop-overlay').hidden = false;
  $('dropzone').classList.add('over');
});
document.addEventListener('dragover', (e) => {
  if (!hasFiles(e)) return;
  e.preventDefault();
  e.dataTransfer.dropEffect = 'copy';
});
document.addEventListener('dragleave', () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) {
    $('drop-overlay').hidden = true;
    $('dropzone').classList.remove('over');
  }
});
document.addEventListener('drop', async (e) => {
  if (!hasFiles(e)) return;
  e.preventDefault();
  dragDepth = 0;
  $('drop-overlay').hidden = true;
  $('dropzone').classList.remove('over');
  try {
    handleFiles(await filesFromDrop(e.dataTransfer));
  } catch (err) {
    showMsg($('data-error'), `The dropped files could not be read: ${err.message}`);
  }
});

// ------------------------------------------------------------------ runs

function newRun(model, settings, extra = {}) {
  const norm = model.norm || 'bn';
  const nth = state.runs.filter((r) => r.norm === norm).length;
  let label = extra.label || variantLabel(model);
  const same = state.runs.filter((r) => r.baseLabel === label).length;
  const run = {
    id: state.nextId++,
    baseLabel: label,
    label: same ? `${label} #${same + 1}` : label,
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
  if (extra.label) run.label = same ? `${label} #${same + 1}` : label;
  state.runs.push(run);
  return run;
}

const runById = (id) => state.runs.find((r) => r.id === id);

function startTraining(norms) {
  const v = validate(readForm(), validationContext());
  showValidation(v);
  if (!v.ok) {
    form.querySelector('.field.invalid input, .field.invalid select')?.focus();
    return;
  }
  if (!state.data || !state.engine || state.training !== 'idle') return;
  $('run-error').hidden = true;
  const jobs = norms.map((norm) => {
    const { model, settings } = toApi(v.values, norm);
    const run = newRun(model, settings);
    return { id: run.id, model, settings };
  });
  state.queue = { ids: jobs.map((j) => j.id), index: 0, stepsPerRun: 0 };
  if (!state.samplesCollapsed) {
    state.samplesCollapsed = true; // once: make room for the curves
    $('samples-panel').open = false;
  }
  state.ips = 0;
  state.selectedRun = null;
  setTraining('running');
  $('progress').hidden = false;
  updateProgressTitle();
  send({ type: 'train', jobs });
  renderResults();
  scheduleDraw('curves');
}

function setTraining(s) {
  state.training = s;
  document.documentElement.dataset.training = s;
  updateProgressTitle();
  updateControls();
}

function updateControls() {
  const idle = state.training === 'idle';
  const v = state.lastValidation;
  const ready = !!state.engine && !!state.data && !state.dataLoading;
  const canStart = ready && idle && v && v.ok;
  $('start').disabled = !canStart;
  $('compare').disabled = !canStart;
  const pause = $('pause');
  pause.disabled = !(state.training === 'running' || state.training === 'paused');
  pause.textContent = state.training === 'paused' ? 'Resume' : state.training === 'pausing' ? 'Pausing…' : 'Pause';
  pause.classList.toggle('primary', state.training === 'paused');
  $('stop').disabled = idle || state.training === 'stopping';
  $('settings-fields').disabled = !idle;
  $('reset').disabled = !idle;
  $('data-forget').disabled = !idle || state.dataLoading;
  $('data-replace').disabled = !idle || state.dataLoading;
  $('data-input').disabled = !idle;
  $('load-ckpt').disabled = !state.engine || !idle;
  const hasRuns = state.runs.length > 0;
  $('export-csv').disabled = !state.runs.some((r) => r.epochs.length);
  $('export-json').disabled = !hasRuns;
  $('clear-runs').disabled = !hasRuns || !idle;
  let hint = '';
  if (state.engineError) hint = 'The engine could not start (see the message above).';
  else if (!state.engine) hint = 'Starting the WebAssembly engine…';
  else if (state.dataLoading) hint = 'Loading the data set…';
  else if (!state.data) hint = 'Load the data set (step 1) to start training.';
  else if (v && !v.ok) hint = 'Fix the settings marked in red to start.';
  else if (idle && state.ips > 0 && v) {
    const steps = Math.ceil(state.data.info.train / v.values.batch) * v.values.epochs;
    const sec = (steps * v.values.batch) / state.ips + v.values.epochs * state.evalSeconds;
    hint = `One run of these settings takes about ${formatDuration(sec)} here (Compare: three runs).`;
  } else if (idle) hint = 'Train one model, or Compare to train BN, GN and LN with the same settings.';
  $('run-hint').textContent = hint;
}

$('start').addEventListener('click', () => {
  const v = state.lastValidation;
  startTraining([v && v.values.norm ? v.values.norm : 'bn']);
});
$('compare').addEventListener('click', () => startTraining(COMPARE_NORMS));
$('pause').addEventListener('click', () => {
  if (state.training === 'running') {
    send({ type: 'pause' });
    setTraining('pausing');
  } else if (state.training === 'paused') {
    send({ type: 'resume' });
    setTraining('running');
  }
});
$('stop').addEventListener('click', () => {
  if (state.training === 'idle') return;
  send({ type: 'stop' });
  setTraining('stopping');
});

function currentRun() {
  if (!state.queue) return null;
  return runById(state.queue.ids[state.queue.index]);
}

function updateProgressTitle() {
  const run = currentRun();
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

function onRunStart(m) {
  const run = runById(m.id);
  if (!run) return;
  state.queue.index = m.index;
  run.status = 'running';
  run.model = m.config.model;
  run.settings = m.config.settings;
  run.paramCount = m.paramCount;
  run.epochsPlanned = m.epochs;
  state.selectedRun = run.id;
  updateProgressTitle();
  $('epoch-label').textContent = `Epoch 1 of ${m.epochs}`;
  renderResults();
}

function onProgress(m) {
  const run = runById(m.id);
  if (!run) return;
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
  run.seconds = m.seconds;
  run.lastProgress = p;
  state.ips = state.ips ? 0.7 * state.ips + 0.3 * m.imagesPerSec : m.imagesPerSec;
  updateProgress(run, p);
  scheduleDraw('curves');
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

function onEpoch(m) {
  const run = runById(m.id);
  if (!run) return;
  const ev = m.eval;
  run.epochs.push({
    epoch: m.epoch,
    trainLoss: m.trainLoss,
    trainAcc: m.trainAcc,
    testLoss: ev.loss,
    testAcc: ev.acc,
    lr: m.lr,
    seconds: m.seconds,
  });
  run.epochsDone = m.epoch;
  run.finalEval = ev;
  state.evalSeconds = state.evalSeconds ? 0.5 * state.evalSeconds + 0.5 * m.evalSeconds : m.evalSeconds;
  if (run.lastProgress) updateProgress(run, run.lastProgress);
  renderResults();
  renderMistakes();
  renderConfusionSelect();
  scheduleDraw('curves', 'confusion');
}

function onRunEnd(m) {
  const run = runById(m.id);
  if (!run) return;
  run.status = m.status;
  if (m.seconds) run.seconds = m.seconds;
  if (m.status === 'error') {
    run.error = m.message;
    let text = `${run.label}: ${m.message}`;
    if (/loss became/.test(m.message)) text += ' Lower the max learning rate (or the L1/L2 coefficients) and train again.';
    if (/out of memory/i.test(m.message)) text += ' Try a smaller batch size.';
    showMsg($('run-error'), text);
  }
  if (m.status === 'cancelled') run.status = 'cancelled';
  renderResults();
  renderMistakes();
}

function onRunError(m) {
  const run = m.id ? runById(m.id) : null;
  if (run && m.setup) {
    state.runs = state.runs.filter((r) => r !== run);
  } else if (run) {
    run.status = 'error';
    run.error = m.message;
  }
  showMsg($('run-error'), `Could not start training: ${m.message}${/out of memory/i.test(m.message) ? '. Try a smaller batch size.' : ''}`);
  renderResults();
}

function onQueueDone() {
  const wasStopping = state.training === 'stopping';
  state.runs = state.runs.filter((r) => !(r.status === 'cancelled' && r.epochs.length === 0));
  const q = state.queue;
  state.queue = null;
  setTraining('idle');
  document.title = 'normlab · normalization playground for CIFAR-10';
  const n = q ? q.ids.length : 1;
  $('epoch-label').textContent = wasStopping ? 'Stopped' : 'Last epoch done';
  $('total-label').textContent = wasStopping ? 'Stopped' : n > 1 ? `All ${n} runs done` : 'Run done';
  const qRuns = q ? q.ids.map(runById).filter(Boolean) : [];
  const finished = qRuns.filter((r) => r.status === 'finished').map((r) => r.label);
  const failed = qRuns.filter((r) => r.status === 'error').map((r) => r.label);
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

// ------------------------------------------------------------------ results table

function settingsSummary(s) {
  if (!s) return '';
  const aug = [s.augCrop ? 'crop' : null, s.augFlip ? 'flip' : null, s.augCutout ? 'cutout' : null].filter(Boolean).join('+') || 'no aug.';
  const items = [
    `LR ${formatSci(s.maxLr)} ${SCHEDULE_NAMES[s.schedule]?.split(' ')[0] || s.schedule}`,
    `batch ${s.batch}`, `L1 ${formatSci(s.l1)}`, `L2 ${formatSci(s.l2)}`, aug, `seed ${s.seed}`,
  ];
  return items.map((t) => t.replace(/ /g, '\u00a0')).join(' · '); // break only between items
}

const STATUS_TEXT = { queued: 'queued', running: 'training…', stopped: 'stopped', error: 'failed', loaded: 'from file', cancelled: 'cancelled' };

function renderResults() {
  const body = $('results-body');
  const sums = state.runs.map((r) => summarize(r));
  const bestTest = Math.max(...sums.map((s) => (Number.isFinite(s.bestTestAcc) ? s.bestTestAcc : -1)));
  const rows = state.runs.map((run, i) => {
    const s = sums[i];
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
    summary.textContent = settingsSummary(run.settings);
    cellName.append(summary);
    td(Number.isFinite(run.paramCount) ? formatInt(run.paramCount) : '–', 'num', 'Params');
    td(formatPct(s.bestTrainAcc), 'num', 'Best train');
    const bt = td(formatPct(s.bestTestAcc), 'num', 'Best test');
    if (Number.isFinite(s.bestTestAcc) && s.bestTestAcc === bestTest && state.runs.length > 1) bt.classList.add('best');
    td(run.source === 'checkpoint' ? String(run.epochsDone) : `${run.epochsDone} / ${run.epochsPlanned}`, 'num', 'Epochs');
    td(run.source === 'checkpoint' ? '–' : formatDuration(run.seconds), 'num', 'Time');
    const actions = td('', 'actions');
    const ck = document.createElement('button');
    ck.type = 'button';
    ck.textContent = 'Checkpoint';
    ck.title = 'Download the trained weights (loads back here and in the normlab CLI)';
    ck.disabled = !(run.status === 'finished' || run.status === 'stopped' || run.status === 'loaded' || run.status === 'error') || run.globalStep === 0 && run.source !== 'checkpoint';
    ck.addEventListener('click', (e) => {
      e.stopPropagation();
      send({ type: 'saveCheckpoint', id: run.id });
    });
    let st = null;
    if (state.engine && state.engine.safetensors) {
      st = document.createElement('button');
      st.type = 'button';
      st.textContent = 'PyTorch';
      st.title = 'Download the weights as .safetensors for PyTorch (see tools/pytorch/ in the repository)';
      st.disabled = ck.disabled;
      st.addEventListener('click', (e) => {
        e.stopPropagation();
        send({ type: 'exportSafetensors', id: run.id });
      });
    }
    const rm = document.createElement('button');
    rm.type = 'button';
    rm.textContent = '✕';
    rm.title = 'Remove this run';
    rm.setAttribute('aria-label', `Remove ${run.label}`);
    rm.disabled = run.status === 'running' || run.status === 'queued';
    rm.addEventListener('click', (e) => {
      e.stopPropagation();
      state.runs = state.runs.filter((r) => r !== run);
      send({ type: 'dropCheckpoint', id: run.id });
      if (state.selectedRun === run.id) state.selectedRun = null;
      renderAllRuns();
    });
    const wrap = document.createElement('div');
    wrap.className = 'row-buttons';
    wrap.append(...[ck, st, rm].filter(Boolean));
    actions.append(wrap);
    tr.addEventListener('click', () => {
      if (!run.finalEval) return;
      state.selectedRun = run.id;
      renderResults();
      renderConfusionSelect();
      scheduleDraw('confusion');
    });
    return tr;
  });
  body.replaceChildren(...rows);
  $('results-empty').hidden = state.runs.length > 0;
  updateControls();
}

function renderAllRuns() {
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
  $('progress').hidden = true;
  renderAllRuns();
});

function exportMeta() {
  return {
    created: new Date().toISOString(),
    classNames: state.data ? state.data.classNames : null,
    dataset: state.data ? { name: state.data.name, train: state.data.info.train, test: state.data.info.test } : null,
    engine: state.engine ? { variant: state.engine.variant, threads: state.engine.threads } : null,
  };
}

$('export-csv').addEventListener('click', () => {
  downloadBlob(new Blob([runsToCsv(state.runs)], { type: 'text/csv' }), 'normlab-metrics.csv');
});
$('export-json').addEventListener('click', () => {
  const json = JSON.stringify(runsToJson(state.runs, exportMeta()), null, 1);
  downloadBlob(new Blob([json], { type: 'application/json' }), 'normlab-metrics.json');
});

function onCheckpoint(m) {
  const run = runById(m.id);
  const name = `normlab-${slug(run ? run.label : 'run')}-epoch${run ? run.epochsDone : 0}.ckpt`;
  downloadBlob(new Blob([m.bytes], { type: 'application/octet-stream' }), name);
}

$('load-ckpt').addEventListener('click', () => $('ckpt-input').click());
$('ckpt-input').addEventListener('change', (e) => {
  const file = e.target.files[0];
  e.target.value = '';
  if (!file) return;
  $('ckpt-error').hidden = true;
  const id = state.nextId++;
  send({ type: 'loadCheckpoint', id, file });
  toast(`Loading ${file.name}…`);
});

function onCheckpointLoaded(m) {
  const cfg = m.config;
  const p = m.progress;
  const epochsDone = p.stepsPerEpoch ? Math.floor(p.globalStep / p.stepsPerEpoch) : 0;
  const run = newRun(cfg.model, cfg.settings, {
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
  toast(m.eval ? `${m.name}: test accuracy ${formatPct(m.eval.acc)}` : `${m.name} loaded (load the data set to evaluate it)`, 4000);
  renderAllRuns();
}

// ------------------------------------------------------------------ mistakes & confusion

const mistakeCards = new Map();

function renderMistakes() {
  const host = $('mistakes');
  const withEval = state.runs.filter((r) => r.finalEval);
  for (const [id, card] of mistakeCards) {
    if (!withEval.some((r) => r.id === id)) {
      card.remove();
      mistakeCards.delete(id);
    }
  }
  for (const run of withEval) {
    let card = mistakeCards.get(run.id);
    if (!card) {
      card = document.createElement('figure');
      card.className = 'mistake-card chart-box';
      card.dataset.run = String(run.id);
      const canvas = document.createElement('canvas');
      canvas.className = 'chart mistakes';
      canvas.setAttribute('role', 'img');
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.className = 'save-png';
      btn.textContent = 'PNG';
      btn.addEventListener('click', () => savePng(canvas, `normlab-mistakes-${slug(run.label)}.png`));
      card.append(canvas, btn);
      host.append(card);
      mistakeCards.set(run.id, card);
    }
    drawMistakeCard(run, card);
  }
  // keep the cards in run order
  for (const run of withEval) host.append(mistakeCards.get(run.id));
  $('mistakes-empty').hidden = withEval.length > 0;
}

function drawMistakeCard(run, card) {
  const canvas = card.querySelector('canvas');
  const ev = run.finalEval;
  const names = state.data ? state.data.classNames : cleanClassNames();
  const when = run.source === 'checkpoint' ? 'from file' : `epoch ${run.epochsDone}`;
  drawMistakes(canvas, {
    title: `${run.label} · ${when} · test accuracy ${formatPct(ev.acc)}`,
    images: ev.images,
    items: ev.mis,
    classNames: names,
    emptyText: 'No misclassified test images.',
  });
  canvas.dataset.images = String(ev.mis.length);
  canvas.setAttribute('aria-label', `${run.label}: ${ev.mis.map((m) => `${names[m.label]} predicted as ${names[m.pred]} (${Math.round(m.conf * 100)}%)`).join('; ')}`);
}

function renderConfusionSelect() {
  const sel = $('confusion-run');
  const withEval = state.runs.filter((r) => r.finalEval);
  if (!withEval.some((r) => r.id === state.selectedRun)) {
    state.selectedRun = withEval.length ? withEval[withEval.length - 1].id : null;
  }
  sel.replaceChildren(...withEval.map((r) => {
    const o = document.createElement('option');
    o.value = String(r.id);
    o.textContent = r.label;
    return o;
  }));
  sel.disabled = withEval.length === 0;
  if (state.selectedRun) sel.value = String(state.selectedRun);
  $('confusion').hidden = withEval.length === 0;
  $('confusion-empty').hidden = withEval.length > 0;
  for (const tr of $('results-body').children) tr.classList.toggle('selected', tr.dataset.run === String(state.selectedRun));
}

$('confusion-run').addEventListener('change', (e) => {
  state.selectedRun = Number(e.target.value);
  renderConfusionSelect();
  scheduleDraw('confusion');
});

function drawConfusionChart() {
  const run = runById(state.selectedRun);
  const canvas = $('confusion');
  if (!run || !run.finalEval || canvas.hidden) return;
  const ev = run.finalEval;
  const when = run.source === 'checkpoint' ? 'from file' : `epoch ${run.epochsDone}`;
  drawConfusion(canvas, {
    title: `${run.label} · test set · ${when} · accuracy ${formatPct(ev.acc)}`,
    confusion: ev.confusion,
    classAcc: ev.classAcc,
    classNames: state.data ? state.data.classNames : cleanClassNames(),
  });
}

// ------------------------------------------------------------------ curves

function chartHeight() {
  return window.innerWidth < 560 ? 230 : 260;
}

function drawCurves() {
  const runs = state.runs.filter((r) => r.visible && r.source !== 'checkpoint');
  const v = state.lastValidation;
  const formOk = v && v.ok;
  const formEpochs = formOk ? v.values.epochs : 0;
  const planned = Math.max(formEpochs, ...runs.map((r) => r.epochsPlanned || 1)) || 10;
  const xDomain = [0, Math.max(1, planned)];
  const legendRuns = runs.map((r) => ({ label: r.label, color: r.color }));
  const T = theme();
  const styleKey = [
    { label: 'test', color: T.muted, width: 2 },
    { label: 'train', color: T.muted, dash: [6, 4], width: 2 },
  ];
  const anyBatches = runs.some((r) => r.batches.length);
  const empty = anyBatches ? 'Appears after the first epoch' : state.data ? 'Press Train or Compare to see curves here' : 'Load the data set, then press Train';
  const height = chartHeight();

  const lossSeries = [];
  const accSeries = [];
  const lrSeries = [];
  const gapSeries = [];
  for (const r of runs) {
    const b = r.batches;
    if (b.length) {
      const sm = smooth(b.map((p) => p[1]), r.smoothing ?? 0.6);
      lossSeries.push({ color: r.color, width: 1.3, alpha: 0.55, points: b.map((p, i) => [p[0], sm[i]]) });
    }
    lossSeries.push({ color: r.color, dash: [6, 4], markers: true, hollow: true, points: r.epochs.map((e) => [e.epoch, e.trainLoss]) });
    lossSeries.push({ color: r.color, markers: true, points: r.epochs.map((e) => [e.epoch, e.testLoss]) });
    accSeries.push({ color: r.color, dash: [6, 4], markers: true, hollow: true, points: r.epochs.map((e) => [e.epoch, e.trainAcc * 100]) });
    accSeries.push({ color: r.color, markers: true, points: r.epochs.map((e) => [e.epoch, e.testAcc * 100]) });
    // identical schedules overlap exactly: earlier runs are drawn wider so each stays visible
    lrSeries.push({ color: r.color, width: 2 + 2.5 * (runs.length - 1 - runs.indexOf(r)), points: r.lrs });
    gapSeries.push({ color: r.color, markers: true, points: r.epochs.map((e) => [e.epoch, (e.trainAcc - e.testAcc) * 100]) });
  }
  drawLineChart($('chart-loss'), {
    title: 'Loss',
    xLabel: 'epoch',
    yLabel: 'cross-entropy loss',
    xDomain,
    series: lossSeries,
    legend: [...legendRuns, ...styleKey, { label: 'per batch', color: T.muted, width: 1.3, alpha: 0.55 }],
    y: { floor: 0, ceil: 5 }, // above ~2x the loss of guessing, a run has blown up: let it leave the chart
    emptyY: [0, 2.4],
    empty,
    height,
  });
  drawLineChart($('chart-acc'), {
    title: 'Accuracy',
    xLabel: 'epoch',
    yLabel: 'accuracy (%)',
    xDomain,
    series: accSeries,
    legend: [...legendRuns, ...styleKey],
    y: { floor: 0, ceil: 100 },
    emptyY: [0, 100],
    yFormat: (t) => `${t}%`,
    empty,
    height,
  });
  // the schedule the current settings would follow, drawn behind the runs
  const lrLegend = [...legendRuns];
  if (formOk && state.training === 'idle') {
    const s = toApi(v.values).settings;
    const pts = plannedLr(s, state.data ? state.data.info.train : 50000);
    if (pts.length) {
      lrSeries.unshift({ color: T.muted, width: 1.5, dash: [3, 3], points: pts });
      lrLegend.push({ label: 'planned (settings)', color: T.muted, width: 1.5, dash: [3, 3] });
    }
  }
  drawLineChart($('chart-lr'), {
    title: 'Learning rate',
    xLabel: 'epoch',
    yLabel: 'learning rate',
    xDomain,
    series: lrSeries,
    legend: lrLegend,
    y: { floor: 0, includeZero: true },
    emptyY: [0, 0.05],
    yFormat: (t, step) => (t === 0 ? '0' : step < 0.001 ? formatSci(t) : String(Number(t.toPrecision(4)))),
    empty,
    height,
  });
  drawLineChart($('chart-gap'), {
    title: 'Generalization gap',
    xLabel: 'epoch',
    yLabel: 'train − test accuracy (points)',
    xDomain,
    series: gapSeries,
    legend: legendRuns,
    y: { includeZero: true },
    emptyY: [0, 10],
    yFormat: (t, step) => (step < 1 ? t.toFixed(1) : String(t)),
    empty,
    height,
  });
}

function drawSampleGrid() {
  if (!state.data || $('samples').hidden) return;
  const s = state.data.samples;
  drawSamples($('samples'), {
    pixels: s.pixels,
    picks: s.picks,
    classNames: state.data.classNames,
    counts: state.data.trainCounts,
    rows: window.innerWidth < 560 ? 3 : 2,
  });
}

const pending = new Set();
let frame = 0;
function scheduleDraw(...what) {
  for (const w of what) pending.add(w);
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    const todo = [...pending];
    pending.clear();
    for (const w of todo) {
      try {
        if (w === 'curves') drawCurves();
        else if (w === 'confusion') drawConfusionChart();
        else if (w === 'samples') drawSampleGrid();
        else if (w === 'mistakes') for (const run of state.runs) if (mistakeCards.has(run.id)) drawMistakeCard(run, mistakeCards.get(run.id));
      } catch (e) {
        console.error(e);
      }
    }
  });
}

$('samples-panel').addEventListener('toggle', () => scheduleDraw('samples'));

for (const btn of document.querySelectorAll('.save-png[data-canvas]')) {
  btn.addEventListener('click', () => {
    const canvas = $(btn.dataset.canvas);
    if (canvas.hidden) return;
    savePng(canvas, `normlab-${btn.dataset.name}.png`);
  });
}

let lastWidth = 0;
new ResizeObserver((entries) => {
  const w = Math.round(entries[0].contentRect.width);
  if (w === lastWidth) return;
  lastWidth = w;
  scheduleDraw('curves', 'confusion', 'samples', 'mistakes');
}).observe(document.querySelector('.content'));
matchMedia('(prefers-color-scheme: dark)').addEventListener?.('change', () => scheduleDraw('curves', 'confusion', 'samples', 'mistakes'));

// ------------------------------------------------------------------ start

if (!ISOLATED) {
  $('banner-isolation').hidden = false;
  document.documentElement.dataset.isolated = 'false';
} else {
  document.documentElement.dataset.isolated = 'true';
}
writeForm({ ...DEFAULTS, ...decodeHash(location.search), ...decodeHash(location.hash) });
onFormChange({ keepHash: true });
renderResults();
scheduleDraw('curves');
initSampleData({ send, setLoading: setDataLoading, showNone: onNoDataset }); // page hook: sample data
send({ type: 'init', threads: ENGINE_THREADS });
fetchServerConfig();
