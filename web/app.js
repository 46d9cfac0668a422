// The playground page's entry point: starts the training worker (worker.js, which holds the
// engine) and waits for it to be ready. Its ready message carries the engine's settings table
// (fields, ranges, defaults, help), which the form is built from, so the panels
// (panels/main.js) start only then; without an engine the page says why and how to fix it.
import { setSchema } from './lib/settings.js';

const ISOLATED = self.crossOriginIsolated === true && typeof SharedArrayBuffer !== 'undefined';
/** Threads of the engine: every core (up to 16) when the page may share memory, else 1. */
const THREADS = ISOLATED ? Math.min(16, Math.max(1, navigator.hardwareConcurrency || 1)) : 1;
const WAIT_MS = 60000;

/** The worker's first answer: {type: 'ready', engine, schema} or {type: 'fatal', message}. */
function startWorker() {
  let worker;
  try {
    worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  } catch (e) {
    return Promise.resolve({ worker: null, first: { type: 'fatal', message: `the training worker could not start (${e && e.message ? e.message : e})` } });
  }
  return new Promise((resolve) => {
    const done = (first) => {
      clearTimeout(timer);
      worker.onmessage = null;
      worker.onerror = null;
      resolve({ worker, first });
    };
    const timer = setTimeout(() => done({ type: 'fatal', message: `the training worker did not answer within ${WAIT_MS / 1000} s` }), WAIT_MS);
    worker.onmessage = (ev) => {
      const m = ev.data || {};
      if (m.type === 'ready' || m.type === 'fatal') done(m);
    };
    worker.onerror = (ev) => {
      ev.preventDefault?.();
      done({ type: 'fatal', message: `the training worker failed to start${ev.message ? ` (${ev.message})` : ''}` });
    };
    worker.postMessage({ type: 'init', threads: THREADS });
  });
}

function showFatal(message) {
  const banner = document.getElementById('banner-error');
  banner.textContent = /wasm_bindings\/build\.sh/.test(message) ? message
    : `The Wasm engine (wasm/normlab.js) could not be loaded: ${message}. `
      + 'Build it with wasm_bindings/build.sh and serve the page with tools/serve.mjs.';
  banner.hidden = false;
  const badge = document.getElementById('engine-badge');
  badge.textContent = 'Engine failed';
  badge.className = 'badge bad';
  document.getElementById('start').disabled = true;
  document.getElementById('run-hint').textContent = 'The engine could not start (see the message above).';
}

const { worker, first } = await startWorker();
let started = false;
if (first.type === 'ready' && first.schema) {
  try {
    setSchema(first.schema);
    const main = await import('./panels/main.js');
    main.start(worker, first);
    started = true;
  } catch (e) {
    showFatal(`the page could not start with this engine's settings table (${e && e.message ? e.message : e})`);
  }
} else {
  showFatal(first.type === 'ready' ? 'the engine gave no settings table' : first.message || 'unknown error');
}
if (!started) worker?.terminate();
