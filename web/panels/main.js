// The playground page (main thread; app.js starts the training worker and calls start()
// once the worker's engine is ready with its settings table): starts the panels and routes the worker's messages to the panel
// that shows them. All computation happens in worker.js;
// the panels (panels/*.js) keep the page's state (panels/common.js) and draw what the
// worker reports; the run bookkeeping is in lib/run_state.js.
import { savePng } from '../charts.js';
import { $, ISOLATED, connectWorker, showBanner, state } from './common.js';
import {
  fetchServerConfig, initSample, maybeLoadData, onDataError, onDataProgress, onDataset, onNoDataset,
} from './dataset.js';
import { initForm, onFormChange } from './form.js';
import { onReport, requestReport } from './network.js';
import { scheduleDraw, watchLayout } from './redraw.js';
import {
  evaluateLoadedCheckpoints, onCheckpoint, onCheckpointError, onCheckpointLoaded, onSafetensors, renderAllRuns,
  renderResults,
} from './results.js';
import {
  onEpoch, onProgress, onQueueDone, onRunEnd, onRunError, onRunStart, setTraining, updateControls,
} from './run.js';
import { restoreSavedRuns } from './saved_runs.js';
import { onImportError, onWeightsImported } from './import_run.js';
import { onConfig } from './export_config.js';
import './curves.js';
import './mistakes.js';

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
    case 'resumed': return setTraining('resumed');
    case 'runEnd': return onRunEnd(m);
    case 'runError': return onRunError(m);
    case 'queueDone': return onQueueDone();
    case 'checkpoint': return onCheckpoint(m);
    case 'safetensors': return onSafetensors(m);
    case 'checkpointLoaded': return onCheckpointLoaded(m);
    case 'checkpointError': return onCheckpointError(m);
    case 'weightsImported': return onWeightsImported(m);
    case 'importError': return onImportError(m);
    case 'config': return onConfig(m);
    default: return console.warn('unknown worker message', m);
  }
}

function fatal(message) {
  state.engineError = message;
  const b = $('engine-badge');
  b.textContent = 'Engine failed';
  b.className = 'badge bad';
  showBanner(message);
  updateControls();
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
  if (engine.kernels) b.title += ` (SIMD128 kernels: ${engine.kernels})`;
  if (engine.note) showBanner(engine.note);
  onFormChange({ keepHash: true });
  requestReport();
  maybeLoadData();
  updateControls();
}

for (const btn of document.querySelectorAll('.save-png[data-canvas]')) {
  btn.addEventListener('click', () => {
    const canvas = $(btn.dataset.canvas);
    if (canvas.hidden) return;
    savePng(canvas, `normlab-${btn.dataset.name}.png`);
  });
}
watchLayout(document.querySelector('.content'));

// ---- start

/**
 * Starts the panels on the worker app.js started.
 * @param {Worker} worker @param {{type: 'ready', engine: object}} ready the worker's first message
 */
export function start(worker, ready) {
  if (!ISOLATED) {
    $('banner-isolation').hidden = false;
    document.documentElement.dataset.isolated = 'false';
  } else {
    document.documentElement.dataset.isolated = 'true';
  }
  connectWorker(worker, onWorkerMessage, (message) => fatal(`The training worker failed${message ? `: ${message}` : ''}.`));
  initForm();
  renderResults();
  scheduleDraw('curves');
  initSample();
  restoreSavedRuns().then(() => {
    renderAllRuns();
    if (state.data) evaluateLoadedCheckpoints();
  });
  fetchServerConfig();
  onWorkerMessage(ready);
}
