// Runs as the page keeps them in the browser (web/lib/run_records.js): what is saved, and
// how a reload brings a run back to its last saved checkpoint.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { RECORD_VERSION, nextStepOf, restoreRuns, runFromRecord, runToRecord } from '../../web/lib/run_records.js';

/** A run of 3 epochs of 4 steps that had done `steps` steps and saved `epochs` epochs. */
function liveRun(steps, epochs, status) {
  const batches = Array.from({ length: steps }, (_, i) => [(i + 1) / 4, 2 - i / 10]);
  return {
    id: 3, label: 'BN', baseLabel: 'BN', norm: 'bn', model: { norm: 'bn' }, settings: { epochs: 3, batch: 32 },
    color: '#1f6fd1', visible: true, status, source: 'trained',
    epochs: Array.from({ length: epochs }, (_, i) => ({ epoch: i + 1, trainLoss: 1, trainAcc: 0.5, testLoss: 1, testAcc: 0.4 + i / 10, lr: 0.1, seconds: 10 * (i + 1) })),
    batches, lrs: batches.map(([x]) => [x, 0.1]),
    finalEval: epochs ? { acc: 0.4, loss: 1, mis: [], images: new Uint8Array(3072), confusion: new Int32Array(100) } : null,
    epochsDone: epochs, epochsPlanned: 3, stepsPerEpoch: 4, totalSteps: 12, globalStep: steps, paramCount: 49272,
    seconds: 27, error: null, smoothing: 0.6,
    lastProgress: { globalStep: steps }, secondsBase: 0, resuming: false, // live state: not kept
  };
}

test('a record keeps the run and leaves the live state out', () => {
  const run = liveRun(12, 3, 'finished');
  const rec = runToRecord(run);
  assert.equal(rec.version, RECORD_VERSION);
  assert.equal(rec.lastProgress, undefined);
  assert.equal(rec.secondsBase, undefined);
  assert.deepEqual(rec.epochs, run.epochs);
  assert.ok(rec.finalEval.images instanceof Uint8Array);
  const back = runFromRecord({ ...structuredClone(rec), savedStep: 12 });
  assert.equal(back.status, 'finished');
  assert.deepEqual(back.batches, run.batches);
  assert.equal(back.globalStep, 12);
  assert.equal(back.seconds, 27);
  assert.equal(back.lastProgress, undefined);
});

test('a run that was training comes back interrupted, at its last saved epoch', () => {
  const rec = runToRecord(liveRun(7, 1, 'running')); // 1 epoch saved, 3 steps into the second
  const run = runFromRecord({ ...rec, savedStep: 4 });
  assert.equal(run.status, 'interrupted');
  assert.equal(run.globalStep, 4);
  assert.equal(run.epochsDone, 1);
  assert.equal(run.batches.length, 4);
  assert.equal(run.lrs.length, 4);
  assert.equal(run.seconds, 10, 'the time of the saved epoch');
  assert.equal(nextStepOf(run, false), 'resume');
});

test('a run with nothing saved goes back to the start; queued runs are interrupted too', () => {
  const run = runFromRecord({ ...runToRecord(liveRun(3, 0, 'running')), savedStep: 0 });
  assert.equal(run.status, 'interrupted');
  assert.equal(run.globalStep, 0);
  assert.deepEqual(run.batches, []);
  assert.equal(run.finalEval, null);
  const queued = runFromRecord({ ...runToRecord(liveRun(0, 0, 'queued')), savedStep: 0 });
  assert.equal(queued.status, 'interrupted');
  assert.equal(nextStepOf(queued, false), 'resume');
});

test('a stopped run keeps its status and goes back to its stored checkpoint', () => {
  const run = runFromRecord({ ...runToRecord(liveRun(9, 2, 'stopped')), savedStep: 8 });
  assert.equal(run.status, 'stopped');
  assert.equal(run.globalStep, 8);
  assert.equal(run.epochs.length, 2);
  assert.equal(nextStepOf(run, false), 'continue', 'on to its plan');
});

test('a loaded checkpoint keeps its progress; what can be trained further', () => {
  const ck = { ...liveRun(0, 0, 'loaded'), source: 'checkpoint', globalStep: 12, epochsDone: 3, seconds: NaN };
  const run = runFromRecord({ ...runToRecord(ck), savedStep: 12 });
  assert.equal(run.globalStep, 12);
  assert.ok(Number.isNaN(run.seconds));
  assert.equal(nextStepOf(run, false), null, 'its plan is done and the engine cannot extend it');
  assert.equal(nextStepOf(run, true), 'continue');
  const midway = runFromRecord({ ...runToRecord({ ...ck, globalStep: 6, epochsDone: 1 }), savedStep: 6 });
  assert.equal(nextStepOf(midway, false), 'continue');
  assert.equal(nextStepOf({ ...run, status: 'running' }, true), null);
  assert.equal(nextStepOf({ ...run, status: 'error' }, true), null);
  assert.equal(nextStepOf({ status: 'stopped', globalStep: 0, source: 'trained' }, true), null, 'stopped before any step');
});

test('restoreRuns: id order, the next free id, unreadable records left out', () => {
  const a = runToRecord({ ...liveRun(12, 3, 'finished'), id: 7 });
  const b = runToRecord({ ...liveRun(12, 3, 'finished'), id: 2 });
  const { runs, nextId, skipped } = restoreRuns([a, { version: 99, id: 9 }, null, b], new Map([[7, 12], [2, 12]]), 1);
  assert.deepEqual(runs.map((r) => r.id), [2, 7]);
  assert.equal(nextId, 8);
  assert.equal(skipped, 2);
  assert.equal(restoreRuns([], new Map(), 5).nextId, 5);
  // the record says a checkpoint was saved, the store has none: it counts as not saved
  const c = runToRecord({ ...liveRun(6, 1, 'running'), savedStep: 4 });
  assert.equal(restoreRuns([c], new Map(), 1).runs[0].globalStep, 0);
});
