// The playground's Web Worker: owns the Wasm engine (normlab.js), the data set and the
// trainers. Training runs step by step in short slices; between slices the worker yields to
// its event loop so that pause, resume and stop (and network-report requests) get through.
// The page only draws what this worker posts.
import { loadErrorMessage } from './lib/datafiles.js';
import { samplesPerClass, classCounts } from './lib/cifar.js';
import { forgetDataset, loadSavedDataset, saveDataset } from './idb.js';
import { configFromView, setSchema, viewFromConfig } from './lib/settings.js';

/** Wall time per slice of training steps between progress messages (ms). */
const SLICE_MS = 200;
/** Misclassified test images kept per evaluation. */
const MISTAKES = 10;
/** Sample images per class for the page's grid. */
const SAMPLES_PER_CLASS = 8;

let api = null; // the normlab.js module
let nl = null; // NormLab instance
let engine = null; // {variant, threads, isolated}
let dataset = null; // {info, source, name, size}

const control = { paused: false, stop: false, resume: null, busy: false };
/** @type {Map<number, Uint8Array>} checkpoints of finished runs */
const checkpoints = new Map();
/** @type {Map<number, any>} live trainers by run id */
const trainers = new Map();

const post = (msg, transfer) => self.postMessage(msg, transfer || []);
const now = () => performance.now();
// Yields to the event loop (so that pause, stop and report messages get through) by a
// message to itself: setTimeout(0) called from a timer callback is clamped to 4 ms after 5
// nested calls, which the training loop paid once per slice (1-2% of a 200-400 ms slice).
const yieldChannel = new MessageChannel();
const yieldWaiters = [];
yieldChannel.port1.onmessage = () => yieldWaiters.shift()?.();
const sleep0 = () => new Promise((r) => {
  yieldWaiters.push(r);
  yieldChannel.port2.postMessage(0);
});

function errorText(e) {
  if (!e) return 'unknown error';
  return e.message || String(e);
}

// ---------------------------------------------------------------- engine

async function init({ threads }) {
  const isolated = self.crossOriginIsolated === true && typeof SharedArrayBuffer !== 'undefined';
  try {
    api = await import('./wasm/normlab.js');
  } catch (e) {
    post({ type: 'fatal', message: `The Wasm engine (wasm/normlab.js) could not be loaded: ${errorText(e)}. Build it with wasm_bindings/build.sh and serve the page with tools/serve.mjs.` });
    return;
  }
  const want = isolated ? Math.max(1, Math.min(16, threads || 1)) : 1;
  let note = null;
  try {
    nl = await api.NormLab.create(isolated ? { variant: 'mt', threads: want } : { variant: 'st', threads: 1 });
  } catch (e) {
    if (!isolated) {
      post({ type: 'fatal', message: `The Wasm engine failed to start: ${errorText(e)}` });
      return;
    }
    note = `The multi-threaded build failed to start (${errorText(e)}); using the single-threaded one.`;
    try {
      nl = await api.NormLab.create({ variant: 'st', threads: 1 });
    } catch (e2) {
      post({ type: 'fatal', message: `The Wasm engine failed to start: ${errorText(e2)}` });
      return;
    }
  }
  setSchema(nl.schema()); // the page's settings module speaks the engine's field names
  engine = {
    variant: nl.variant, threads: nl.threads, kernels: nl.kernels, isolated, note,
    safetensors: typeof api.Trainer?.prototype?.exportSafetensors === 'function',
    setEpochs: typeof api.Trainer?.prototype?.setEpochs === 'function', // Continue past a run's plan
  };
  // the settings table comes with it: the page builds its form from it (app.js)
  post({ type: 'ready', engine, schema: nl.schema() });
}

// ---------------------------------------------------------------- data

function datasetMessage(source, name, size) {
  const info = nl.datasetInfo();
  const trainLabels = nl.labels('train');
  const testLabels = nl.labels('test');
  const picks = samplesPerClass(trainLabels, SAMPLES_PER_CLASS);
  const flat = picks.flat();
  const pixels = new Uint8Array(flat.length * 3072);
  flat.forEach((idx, k) => pixels.set(nl.images(idx, 1, 'train'), k * 3072));
  dataset = { info, source, name, size };
  return {
    type: 'dataset',
    info,
    source,
    name,
    size,
    trainCounts: classCounts(trainLabels),
    testCounts: classCounts(testLabels),
    samples: { picks, pixels },
  };
}

/** Loads the data set into the engine; throws a user-facing Error. Archives stream: a
 * .tar.gz goes through the browser's DecompressionStream into the core's tar reader (in
 * normlab.js), so only the parsed images reach Wasm memory. source: the archive as a Blob or
 * an async iterable of pieces; batches: the six .bin files as bytes. */
async function loadInto(kind, source, name, onProgress) {
  let head;
  const keepHead = async function* (pieces) { // the first bytes, to explain a failure
    for await (const p of pieces) {
      if (!head) head = p.subarray(0, 512);
      yield p;
    }
  };
  try {
    if (kind === 'targz' || kind === 'tar') {
      const pieces = typeof source.stream === 'function' ? readPieces(source.stream()) : source;
      await nl.loadDatasetArchive(keepHead(pieces), { onProgress });
    } else {
      head = source[0] ? source[0].subarray(0, 512) : undefined;
      nl.loadDatasetBatches(source);
    }
  } catch (e) {
    throw new Error(loadErrorMessage(name, errorText(e), head));
  }
}

/** A ReadableStream's chunks as an async iterable. */
async function* readPieces(stream, onPiece) {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (onPiece) onPiece(value);
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

async function readAll(blob) {
  return new Uint8Array(await blob.arrayBuffer());
}

function unpackProgress(label) {
  let lastPost = 0;
  return (tarBytes) => {
    if (now() - lastPost < 150) return;
    lastPost = now();
    post({ type: 'dataProgress', phase: 'decode', text: `Unpacking ${label}… ${(tarBytes / 1e6).toFixed(0)} MB` });
  };
}

async function loadFromFiles({ kind, files, name }) {
  const size = files.reduce((s, f) => s + (f.size || 0), 0);
  if (kind === 'batches') {
    post({ type: 'dataProgress', phase: 'read', text: `Reading ${name}…` });
    let parts;
    try {
      parts = await Promise.all(files.map(readAll));
    } catch (e) {
      throw new Error(`${name}: the file could not be read (${errorText(e)})`);
    }
    post({ type: 'dataProgress', phase: 'decode', text: 'Checking the batch files…' });
    await sleep0();
    await loadInto(kind, parts, name);
    parts = null;
  } else {
    post({ type: 'dataProgress', phase: 'decode', text: 'Unpacking the archive…' });
    await loadInto(kind, files[0], name, unpackProgress(name));
  }
  const msg = datasetMessage('file', name, size);
  let saved = true;
  let saveError = null;
  try {
    await saveDataset({ kind, name, size, blobs: files });
  } catch (e) {
    saved = false;
    saveError = errorText(e);
  }
  post({ ...msg, saved, saveError }, [msg.samples.pixels.buffer]);
}

/** The response body as pieces, posting download progress. */
function downloadPieces(res, label, total) {
  const len = Number(res.headers.get('content-length')) || total || 0;
  let got = 0;
  let lastPost = 0;
  return readPieces(res.body, (value) => {
    got += value.length;
    if (len && got > len) throw new Error(`${label}: more bytes than announced`);
    if (now() - lastPost > 150) {
      lastPost = now();
      post({ type: 'dataProgress', phase: 'download', loaded: got, total: len, text: `Downloading ${label}…` });
    }
  });
}

async function fetchBytes(url, label, total) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${label}: the server answered HTTP ${res.status}`);
  const len = Number(res.headers.get('content-length')) || total || 0;
  if (!res.body || !len) return new Uint8Array(await res.arrayBuffer());
  const out = new Uint8Array(len);
  let got = 0;
  for await (const value of downloadPieces(res, label, total)) {
    out.set(value, got);
    got += value.length;
  }
  if (got !== out.length) throw new Error(`${label}: the download stopped early (${got} of ${len} bytes)`);
  return out;
}

async function loadFromServer({ kind, files, name }) {
  const total = files.reduce((s, f) => s + (f.size || 0), 0);
  let size = total;
  if (kind === 'batches') {
    const parts = [];
    for (const f of files) parts.push(await fetchBytes(f.url, f.name, f.size));
    post({ type: 'dataProgress', phase: 'decode', text: 'Checking the batch files…' });
    await sleep0();
    await loadInto(kind, parts, name);
    size = total || parts.reduce((s, p) => s + p.length, 0);
  } else {
    // The archive streams from the network through gzip into the core as it downloads.
    const f = files[0];
    const res = await fetch(f.url);
    if (!res.ok) throw new Error(`${f.name}: the server answered HTTP ${res.status}`);
    const source = res.body ? downloadPieces(res, f.name, f.size) : new Blob([await res.arrayBuffer()]);
    await loadInto(kind, source, name);
  }
  const msg = datasetMessage('server', name, size);
  post(msg, [msg.samples.pixels.buffer]);
}

async function loadSaved() {
  let rec;
  try {
    rec = await loadSavedDataset();
  } catch (e) {
    post({ type: 'noDataset', reason: `IndexedDB: ${errorText(e)}` });
    return;
  }
  if (!rec || !Array.isArray(rec.blobs) || rec.blobs.length === 0) {
    post({ type: 'noDataset' });
    return;
  }
  post({ type: 'dataProgress', phase: 'read', text: `Opening ${rec.name} (saved in this browser)…` });
  try {
    if (rec.kind === 'batches') {
      const parts = await Promise.all(rec.blobs.map(readAll));
      post({ type: 'dataProgress', phase: 'decode', text: 'Unpacking the saved data set…' });
      await sleep0();
      await loadInto(rec.kind, parts, rec.name);
    } else {
      post({ type: 'dataProgress', phase: 'decode', text: 'Unpacking the saved data set…' });
      await loadInto(rec.kind, rec.blobs[0], rec.name, unpackProgress(rec.name));
    }
  } catch (e) {
    await forgetDataset().catch(() => {});
    post({ type: 'noDataset', reason: `The data set saved in this browser could not be used and was removed: ${errorText(e)}` });
    return;
  }
  const msg = datasetMessage('saved', rec.name, rec.size);
  post({ ...msg, savedAt: rec.savedAt }, [msg.samples.pixels.buffer]);
}

async function forget() {
  let error = null;
  try {
    await forgetDataset();
  } catch (e) {
    error = errorText(e);
  }
  // The engine keeps one data set; a fresh instance drops it from memory.
  for (const t of trainers.values()) t.free();
  trainers.clear();
  const { variant, threads } = engine;
  nl.close();
  nl = await api.NormLab.create({ variant, threads });
  dataset = null;
  post({ type: 'noDataset', forgotten: true, reason: error ? `Could not clear the browser storage: ${error}` : null });
}

// ---------------------------------------------------------------- training

function evaluateFull(tr) {
  const t0 = now();
  const ev = tr.evaluate({ set: 'test', order: 'confidence', limit: MISTAKES });
  const mis = ev.misclassified.map((m) => ({ index: m.index, label: m.label, pred: m.pred, conf: m.conf }));
  const images = new Uint8Array(mis.length * 3072);
  mis.forEach((m, k) => images.set(nl.testImage(m.index), k * 3072));
  const confusion = new Int32Array(100);
  ev.confusion.forEach((row, i) => confusion.set(row, i * 10));
  const wrong = ev.n - Math.round(ev.acc * ev.n);
  return {
    n: ev.n,
    loss: ev.loss,
    acc: ev.acc,
    classAcc: Array.from(ev.classAcc),
    confusion,
    mis,
    wrong,
    images,
    seconds: (now() - t0) / 1000,
  };
}

function waitForResume() {
  return new Promise((resolve) => { control.resume = resolve; });
}

/**
 * A trainer from the run's last checkpoint (resume after a reload, or Continue), to be
 * trained up to job.epochs (the checkpoint's plan when not given).
 */
function resumeTrainer(job) {
  const bytes = checkpoints.get(job.id);
  if (!bytes) throw new Error('there is no checkpoint of this run to continue from');
  const tr = nl.trainerFromCheckpoint(bytes, { threads: job.threads });
  try {
    const planned = tr.config().epochs;
    if (job.epochs && job.epochs !== planned) {
      if (typeof tr.setEpochs !== 'function') throw new Error(`this engine can only continue to the planned ${planned} epochs`);
      tr.setEpochs(job.epochs);
    }
  } catch (e) {
    tr.free();
    throw e;
  }
  return tr;
}

async function trainRun(job, index, count) {
  let tr;
  try {
    // the page's run objects ({model, settings}) as the engine's configuration
    tr = job.resume ? resumeTrainer(job) : nl.createTrainer(job.config || configFromView(job));
  } catch (e) {
    post({ type: 'runError', id: job.id, message: errorText(e), setup: true });
    return false;
  }
  trainers.set(job.id, tr);
  const cfg = tr.config();
  let p = tr.progress();
  post({
    type: 'runStart', id: job.id, index, count, config: viewFromConfig(cfg), configJson: cfg, paramCount: tr.paramCount,
    stepsPerEpoch: p.stepsPerEpoch, totalSteps: p.totalSteps, epochs: cfg.epochs,
  });
  const batch = cfg.batch;
  let trainSeconds = 0;
  let status = 'finished';
  let error = null;
  try {
    for (;;) {
      if (control.stop) {
        status = 'stopped';
        break;
      }
      if (control.paused) {
        post({ type: 'paused', id: job.id });
        await waitForResume();
        post({ type: 'resumed', id: job.id });
        continue;
      }
      const t0 = now();
      const losses = [];
      const lrs = [];
      const first = p.globalStep;
      do {
        p = tr.trainSteps(1);
        losses.push(p.lastLoss);
        lrs.push(p.lr);
      } while (!p.epochDone && now() - t0 < SLICE_MS);
      const dt = (now() - t0) / 1000;
      trainSeconds += dt;
      post({
        type: 'progress', id: job.id, p, firstStep: first, losses, lrs, seconds: trainSeconds,
        imagesPerSec: (losses.length * batch) / Math.max(dt, 1e-6),
      });
      if (p.epochDone) {
        await sleep0(); // let the page draw the epoch's last slice
        const ev = evaluateFull(tr);
        const checkpoint = tr.saveCheckpoint(); // the page keeps one per epoch (resume after a reload)
        post({
          type: 'epoch', id: job.id, epoch: p.epoch + 1, trainLoss: p.epochLoss, trainAcc: p.epochAcc,
          lr: p.lr, seconds: trainSeconds, evalSeconds: ev.seconds, eval: ev, checkpoint,
        }, [ev.images.buffer, ev.confusion.buffer, checkpoint.buffer]);
      }
      if (p.finished) break;
      await sleep0();
    }
  } catch (e) {
    status = 'error';
    error = errorText(e);
  }
  try {
    checkpoints.set(job.id, tr.saveCheckpoint());
  } catch {
    // a checkpoint is a convenience; the run's results stand without it
  }
  tr.free();
  trainers.delete(job.id);
  post({ type: 'runEnd', id: job.id, status, message: error, seconds: trainSeconds, progress: p, heapBytes: nl.heapBytes() });
  return status === 'finished';
}

async function train({ jobs }) {
  if (control.busy) {
    post({ type: 'runError', message: 'A training is already running.' });
    return;
  }
  if (!dataset) {
    post({ type: 'runError', message: 'Load the data set first.' });
    return;
  }
  control.busy = true;
  control.stop = false;
  control.paused = false;
  try {
    for (let i = 0; i < jobs.length; i++) {
      if (control.stop) {
        post({ type: 'runEnd', id: jobs[i].id, status: 'cancelled', seconds: 0 });
        continue;
      }
      await trainRun(jobs[i], i, jobs.length);
    }
  } finally {
    control.busy = false;
    control.stop = false;
    control.paused = false;
    post({ type: 'queueDone' });
  }
}

// ---------------------------------------------------------------- checkpoints

async function loadCheckpoint({ id, file }) {
  let bytes;
  try {
    bytes = new Uint8Array(await file.arrayBuffer());
  } catch (e) {
    post({ type: 'checkpointError', message: `${file.name}: could not be read (${errorText(e)})` });
    return;
  }
  let tr;
  try {
    tr = nl.trainerFromCheckpoint(bytes);
  } catch (e) {
    post({ type: 'checkpointError', message: `${file.name}: not a usable normlab checkpoint (${errorText(e)})` });
    return;
  }
  try {
    const cfg = tr.config();
    const p = tr.progress();
    let ev = null;
    if (dataset) ev = evaluateFull(tr);
    checkpoints.set(id, bytes);
    const transfer = ev ? [ev.images.buffer, ev.confusion.buffer] : [];
    post({
      type: 'checkpointLoaded', id, name: file.name, config: viewFromConfig(cfg), configJson: cfg,
      paramCount: tr.paramCount, progress: p, eval: ev,
    }, transfer);
  } catch (e) {
    post({ type: 'checkpointError', message: `${file.name}: ${errorText(e)}` });
  } finally {
    tr.free();
  }
}

/** Import a run: its weights (.safetensors from tools/pytorch/train.py, normlab export or this
 * page), evaluated on the data set when there is one, kept as a checkpoint of the run. */
async function importWeights({ id, file }) {
  let tr;
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    tr = nl.trainerFromSafetensors(bytes);
  } catch (e) {
    post({ type: 'importError', id, message: `${file.name}: not usable normlab weights (${errorText(e)})` });
    return;
  }
  try {
    const cfg = tr.config();
    const ev = dataset ? evaluateFull(tr) : null;
    const checkpoint = tr.saveCheckpoint();
    checkpoints.set(id, checkpoint.slice());
    const transfer = ev ? [ev.images.buffer, ev.confusion.buffer, checkpoint.buffer] : [checkpoint.buffer];
    post({
      type: 'weightsImported', id, name: file.name, config: viewFromConfig(cfg), paramCount: tr.paramCount, eval: ev,
      checkpoint,
    }, transfer);
  } catch (e) {
    post({ type: 'importError', id, message: `${file.name}: ${errorText(e)}` });
  } finally {
    tr.free();
  }
}

function saveCheckpoint({ id }) {
  const live = trainers.get(id);
  let bytes = null;
  try {
    bytes = live ? live.saveCheckpoint() : checkpoints.get(id);
  } catch (e) {
    post({ type: 'checkpointError', message: errorText(e) });
    return;
  }
  if (!bytes) {
    post({ type: 'checkpointError', message: 'No checkpoint for this run.' });
    return;
  }
  const copy = bytes.slice();
  post({ type: 'checkpoint', id, bytes: copy }, [copy.buffer]);
}

function exportSafetensors({ id }) {
  const live = trainers.get(id);
  let tr = live;
  try {
    if (!tr) {
      const ckpt = checkpoints.get(id);
      if (!ckpt) throw new Error('no weights for this run');
      tr = nl.trainerFromCheckpoint(ckpt);
    }
    if (typeof tr.exportSafetensors !== 'function') throw new Error('this build of the engine cannot export safetensors');
    const bytes = tr.exportSafetensors();
    post({ type: 'safetensors', id, bytes }, [bytes.buffer]);
  } catch (e) {
    post({ type: 'checkpointError', message: `PyTorch export: ${errorText(e)}` });
  } finally {
    if (tr && tr !== live) tr.free();
  }
}

// ---------------------------------------------------------------- messages

async function handle(msg) {
  switch (msg.type) {
    case 'init': return init(msg);
    case 'report': {
      try {
        post({ type: 'report', key: msg.key, report: nl.report(msg.config || configFromView({ model: msg.model })) });
      } catch (e) {
        post({ type: 'report', key: msg.key, error: errorText(e) });
      }
      return undefined;
    }
    case 'loadFiles':
    case 'loadServer': {
      if (control.busy) {
        post({ type: 'dataError', message: 'Stop the training before changing the data set.' });
        return undefined;
      }
      try {
        if (msg.type === 'loadFiles') await loadFromFiles(msg);
        else await loadFromServer(msg);
      } catch (e) {
        post({ type: 'dataError', message: errorText(e), keep: !!dataset });
      }
      return undefined;
    }
    case 'loadSaved': return loadSaved();
    case 'forget': return forget();
    case 'train': return train(msg);
    case 'pause':
      control.paused = true;
      return undefined;
    case 'resume':
      control.paused = false;
      if (control.resume) {
        const r = control.resume;
        control.resume = null;
        r();
      }
      return undefined;
    case 'stop':
      control.stop = true;
      if (control.resume) {
        const r = control.resume;
        control.resume = null;
        r();
      }
      return undefined;
    case 'saveCheckpoint': return saveCheckpoint(msg);
    case 'exportSafetensors': return exportSafetensors(msg);
    case 'loadCheckpoint': return loadCheckpoint(msg);
    case 'importWeights': return importWeights(msg);
    case 'exportConfig': {
      try {
        post({ type: 'config', config: nl.resolveConfig(msg.config) });
      } catch (e) {
        post({ type: 'config', error: errorText(e) });
      }
      return undefined;
    }
    case 'dropCheckpoint':
      checkpoints.delete(msg.id);
      return undefined;
    case 'putCheckpoint': // a run restored by the page (its stored checkpoint)
      checkpoints.set(msg.id, msg.bytes);
      return undefined;
    default:
      post({ type: 'error', message: `unknown message ${msg.type}` });
      return undefined;
  }
}

self.onmessage = (ev) => {
  handle(ev.data).catch((e) => post({ type: 'error', message: errorText(e) }));
};
