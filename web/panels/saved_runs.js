// Nothing lost: every run is kept in this browser as it trains (run_store.js), restored
// after a reload (lib/run_records.js), deleted with its row or by Clear. Storage errors
// (a full quota) are shown; leaving a page that is training asks first.
import { restoreRuns, runToRecord } from '../lib/run_records.js';
import * as store from '../run_store.js';
import { $, send, showMsg, state } from './common.js';

function storageError(e) {
  showMsg($('store-error'), `Runs could not be saved in this browser (${e.message}). They stay on this page until it is closed; remove old runs (✕) or Clear to make room.`);
}

/**
 * Saves a run's record, with the checkpoint of the epoch it just finished when given
 * ({step, bytes}). run.storedStep tells when that checkpoint is safely stored.
 * @returns {Promise<void>} never fails (errors are shown)
 */
export function saveRun(run, checkpoint) {
  const rec = runToRecord(run);
  return store.saveRun(rec, checkpoint).then(() => {
    if (checkpoint) run.storedStep = checkpoint.step;
    $('store-error').hidden = true; // saving works (again): the store holds the run as it is
  }, storageError);
}

/** Deletes stored runs by id. */
export function forgetRuns(ids) {
  for (const id of ids) store.deleteRun(id).catch(storageError);
}

/** Deletes every stored run and checkpoint. */
export function forgetAllRuns() {
  return store.clearRuns().then(() => { $('store-error').hidden = true; }, storageError);
}

/** The stored checkpoint bytes of a run, or null. */
export async function storedCheckpoint(id) {
  try {
    const c = await store.loadCheckpoint(id);
    return c ? c.bytes : null;
  } catch (e) {
    storageError(e);
    return null;
  }
}

/**
 * Brings back the runs saved in this browser (before any new run is made: ids go on from
 * the highest), and gives their checkpoints to the worker for downloads, Resume and Continue.
 * @returns {Promise<number>} how many runs came back
 */
export async function restoreSavedRuns() {
  state.restoring = true;
  try {
    const records = await store.loadRunRecords();
    const checkpoints = new Map();
    for (const rec of records) {
      const c = rec && Number.isInteger(rec.id) ? await store.loadCheckpoint(rec.id) : null;
      if (c && c.bytes) checkpoints.set(rec.id, c);
    }
    const steps = new Map([...checkpoints].map(([id, c]) => [id, c.step]));
    const { runs, nextId, skipped } = restoreRuns(records, steps, state.nextId);
    for (const run of runs) {
      const c = checkpoints.get(run.id);
      if (!c) continue;
      run.storedStep = c.step;
      send({ type: 'putCheckpoint', id: run.id, bytes: c.bytes });
    }
    state.runs = [...runs, ...state.runs];
    state.nextId = nextId;
    if (skipped) showMsg($('store-error'), `${skipped} saved run${skipped > 1 ? 's' : ''} could not be read and ${skipped > 1 ? 'were' : 'was'} left out.`);
    return runs.length;
  } catch (e) {
    storageError(e);
    return 0;
  } finally {
    state.restoring = false;
  }
}

window.addEventListener('beforeunload', (e) => {
  if (state.training === 'idle') return;
  // a reload or closed tab loses the epoch in progress (the finished ones are saved)
  e.preventDefault();
  e.returnValue = '';
});
