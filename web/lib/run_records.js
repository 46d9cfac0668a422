// Runs as they are kept in the browser (IndexedDB, see ../run_store.js) and how a reload
// brings them back. Pure: no DOM, no IndexedDB.
//
// A run is saved when it is queued, when it starts, after every epoch (with the checkpoint
// of that epoch) and when it ends. Progress between epochs is not saved, so a run restored
// after a reload goes back to its last saved checkpoint: a run that was training (or
// queued) shows as 'interrupted' and can be resumed from there, bit for bit.

export const RECORD_VERSION = 1;

/** The fields of a run that are kept (the rest is live state of this page). */
const FIELDS = ['id', 'label', 'baseLabel', 'norm', 'model', 'settings', 'color', 'visible', 'status', 'source',
  'epochs', 'batches', 'lrs', 'finalEval', 'epochsDone', 'epochsPlanned', 'stepsPerEpoch', 'totalSteps',
  'globalStep', 'paramCount', 'seconds', 'error', 'smoothing', 'fileName', 'savedStep', 'hasWeights'];

/** Statuses of a run that was still to be trained when the page went away. */
const UNFINISHED = new Set(['queued', 'running']);

/**
 * The record of a run for the store (plain data; typed arrays stay typed).
 * @param {object} run @returns {object}
 */
export function runToRecord(run) {
  const rec = { version: RECORD_VERSION };
  for (const k of FIELDS) if (run[k] !== undefined) rec[k] = run[k];
  return rec;
}

/**
 * A run from its record, as of its last saved checkpoint (savedStep: the optimiser steps
 * of that checkpoint; 0 or missing: no checkpoint). Per-step curves and the step count go
 * back to the checkpoint; a run that was training or waiting becomes 'interrupted'.
 * @param {object} rec @returns {object|null} null for records this page cannot read
 */
export function runFromRecord(rec) {
  if (!rec || rec.version !== RECORD_VERSION || !Number.isInteger(rec.id) || !rec.model || !rec.settings) return null;
  const run = {};
  for (const k of FIELDS) if (rec[k] !== undefined) run[k] = rec[k];
  run.epochs = Array.isArray(run.epochs) ? run.epochs : [];
  run.batches = Array.isArray(run.batches) ? run.batches : [];
  run.lrs = Array.isArray(run.lrs) ? run.lrs : [];
  run.savedStep = Number.isInteger(run.savedStep) && run.savedStep > 0 ? run.savedStep : 0;
  run.visible = run.visible !== false;
  run.finalEval = run.finalEval || null;
  if (UNFINISHED.has(run.status)) run.status = 'interrupted';
  if (run.source !== 'checkpoint' && run.globalStep > run.savedStep) rewindToCheckpoint(run);
  run.paramCount = Number.isFinite(run.paramCount) ? run.paramCount : NaN;
  run.seconds = Number.isFinite(run.seconds) ? run.seconds : NaN;
  return run;
}

/** Drops what was trained after the saved checkpoint (the weights of those steps are gone). */
function rewindToCheckpoint(run) {
  const spe = run.stepsPerEpoch || 0;
  const step = run.savedStep;
  const x = spe ? step / spe : 0;
  run.batches = run.batches.filter((p) => p[0] <= x + 1e-9);
  run.lrs = run.lrs.filter((p) => p[0] <= x + 1e-9);
  const epochsDone = spe ? Math.floor(step / spe) : 0;
  run.epochs = run.epochs.filter((e) => e.epoch <= epochsDone);
  run.epochsDone = epochsDone;
  run.globalStep = step;
  const last = run.epochs[run.epochs.length - 1];
  run.seconds = last ? last.seconds : 0;
  if (!run.epochs.length) run.finalEval = null;
}

/**
 * Restored runs in id order and the next free run id.
 * @param {object[]} records
 * @param {Map<number, number>} checkpointSteps the step of each run's stored checkpoint (a
 *   record may claim one whose write failed: the stored one counts)
 * @param {number} nextId the page's next id so far
 * @returns {{runs: object[], nextId: number, skipped: number}}
 */
export function restoreRuns(records, checkpointSteps, nextId = 1) {
  const runs = [];
  let skipped = 0;
  for (const rec of records) {
    const run = runFromRecord(rec && { ...rec, savedStep: checkpointSteps.get(rec.id) || 0 });
    if (run) runs.push(run);
    else skipped++;
  }
  runs.sort((a, b) => a.id - b.id);
  const maxId = runs.reduce((m, r) => Math.max(m, r.id), 0);
  return { runs, nextId: Math.max(nextId, maxId + 1), skipped };
}

/**
 * How a run can be trained further: 'resume' (interrupted: on to its plan), 'continue'
 * (a run with weights: on to its plan, or past it when the engine can extend a plan), or null.
 * @param {object} run @param {boolean} canExtend the engine has Trainer.setEpochs
 */
export function nextStepOf(run, canExtend) {
  if (run.status === 'interrupted') return 'resume';
  if (!['finished', 'stopped', 'loaded'].includes(run.status)) return null;
  if (!(run.globalStep > 0 || run.source === 'checkpoint')) return null;
  const planDone = run.globalStep >= run.totalSteps && run.epochsDone >= run.epochsPlanned;
  return canExtend || !planDone ? 'continue' : null;
}
