// The data set card (step 1) and the training-images grid: the server's or the saved data
// set at start-up, files chosen or dropped by the user, progress, and "Forget".
import { classifyFiles, baseName } from '../lib/datafiles.js';
import { classNames as cleanClassNames } from '../lib/cifar.js';
import { formatBytes, formatInt } from '../lib/format.js';
import { initSampleData, labelSample, sampleInsteadOfNothing } from '../lib/sample_data.js';
import { drawSamples } from '../charts.js';
import { $, send, showMsg, state, toast } from './common.js';
import { onFormChange } from './form.js';
import { registerDrawer, scheduleDraw } from './redraw.js';
import { evaluateLoadedCheckpoints } from './results.js';
import { updateControls } from './run.js';

/** Asks the server which data set it offers (none on a static host), then loads data. */
export async function fetchServerConfig() {
  try {
    const res = await fetch('api/config', { cache: 'no-store' });
    state.serverConfig = res.ok ? await res.json() : null;
  } catch {
    state.serverConfig = null;
  }
  maybeLoadData();
}

let dataRequested = false;
/** Loads the server's data set, else the one saved in this browser, once the engine is up. */
export function maybeLoadData() {
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

export function onDataProgress(m) {
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

function readyBadge() {
  const badge = $('data-badge');
  badge.textContent = `CIFAR-10 · ${formatInt(state.data.info.train)} + ${formatInt(state.data.info.test)} images`;
  badge.className = 'badge ok';
}

function noDataBadge() {
  const badge = $('data-badge');
  badge.textContent = 'No data set';
  badge.className = 'badge warn';
}

export function onDataset(m) {
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
  readyBadge();
  document.documentElement.dataset.dataset = 'ready';
  $('samples-note').textContent = 'a few training images of each class, and how many the training set holds';
  $('samples').hidden = false;
  scheduleDraw('samples');
  onFormChange({ keepHash: true });
  updateControls();
  evaluateLoadedCheckpoints();
  labelSample(m, state.data); // says "sample" and how to get the full set
}

export function onNoDataset(m) {
  if (sampleInsteadOfNothing(m)) return; // nothing else: the built-in sample from assets/
  setDataLoading(false);
  state.data = null;
  document.documentElement.dataset.dataset = 'none';
  $('data-empty').hidden = false;
  $('data-ready').hidden = true;
  $('samples').hidden = true;
  $('samples-note').textContent = 'Load the data set to see examples of the ten classes.';
  noDataBadge();
  if (m.reason) showMsg($('data-error'), m.reason);
  if (m.forgotten && !m.reason) toast('The data set was removed from this browser');
  updateControls();
}

export function onDataError(m) {
  setDataLoading(false);
  if (state.data && m.keep) {
    $('data-ready').hidden = false;
    readyBadge();
  } else {
    state.data = null;
    $('data-empty').hidden = false;
    noDataBadge();
  }
  showMsg($('data-error'), m.message);
  updateControls();
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

// ---- the training-images grid

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
registerDrawer('samples', drawSampleGrid);
$('samples-panel').addEventListener('toggle', () => scheduleDraw('samples'));

/** The built-in sample (lib/sample_data.js): offered, and loaded when nothing better exists. */
export function initSample() {
  initSampleData({ send, setLoading: setDataLoading, showNone: onNoDataset });
}
