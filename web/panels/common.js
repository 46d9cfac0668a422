// What every panel of the page shares: the page state, the connection to the training
// worker, the defaults of this machine, and the small message helpers (banner, toast,
// inline messages).
import { defaults } from '../lib/settings.js';

export const $ = (id) => document.getElementById(id);
export const PARAM_BUDGET = 50000;
export const ISOLATED = self.crossOriginIsolated === true && typeof SharedArrayBuffer !== 'undefined';
const CORES = Math.max(1, navigator.hardwareConcurrency || 1);
export const ENGINE_THREADS = ISOLATED ? Math.min(16, CORES) : 1;
export const DEFAULT_THREADS = ISOLATED ? Math.min(8, CORES) : 1;
export const DEFAULTS = defaults({ threads: DEFAULT_THREADS });

export const state = {
  engine: null,
  engineError: null,
  serverConfig: undefined,
  data: null,
  dataLoading: false,
  runs: [],
  nextId: 1,
  queue: null,
  training: 'idle', // idle | running | pausing | paused | stopping (lib/run_state.js)
  selectedRun: null,
  report: null,
  reportKey: '',
  ips: 0,
  evalSeconds: 0,
  lastValidation: null,
  restoring: false, // runs saved in this browser are being restored (panels/saved_runs.js)
  continueFrom: null, // the run the form continues (panels/continue.js)
};
// For tests and the curious: the page's state (read-only use).
window.normlab = { state };

let worker = null;
/**
 * Connects the page to its worker (started by app.js, which waited for its engine and
 * settings table); messages go to onMessage, a worker error to onFail.
 * @param {Worker} w
 */
export function connectWorker(w, onMessage, onFail) {
  worker = w;
  worker.onmessage = (ev) => {
    try {
      onMessage(ev.data);
    } catch (e) {
      console.error(e);
      showBanner(`The page hit an unexpected error: ${e.message}`);
    }
  };
  worker.onerror = (ev) => {
    ev.preventDefault?.();
    onFail(ev.message);
  };
}

/** Posts a message to the training worker. */
export const send = (msg, transfer) => worker.postMessage(msg, transfer || []);

export function showBanner(message) {
  const b = $('banner-error');
  b.textContent = message;
  b.hidden = false;
}

/** Shows text in an inline message element (hidden when empty). */
export function showMsg(el, text) {
  el.textContent = text;
  el.hidden = !text;
}

let toastTimer = 0;
export function toast(text, ms = 2500) {
  const t = $('toast');
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, ms);
}
