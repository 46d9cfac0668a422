// The page's run bookkeeping (web/lib/run_state.js): the training state machine and how
// the worker's messages change the run records.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  addRun, applyEpoch, applyProgress, applyQueueDone, applyRunEnd, applyRunError, applyRunStart, currentRun,
  nextTraining, removeRun, runById, selectedEvalRun, startQueue,
} from '../../web/lib/run_state.js';

const emptyState = () => ({ runs: [], nextId: 1, queue: null, training: 'idle', selectedRun: null, report: { total: 49272 }, ips: 0, evalSeconds: 0 });
const settings = { epochs: 2, batch: 32 };
const evalOf = (acc) => ({ loss: 1.5, acc, mis: [], confusion: new Int32Array(100), classAcc: new Array(10).fill(acc) });

test('training state machine: pause, resume, stop, done; other events change nothing', () => {
  assert.equal(nextTraining('idle', 'start'), 'running');
  assert.equal(nextTraining('running', 'pause'), 'pausing');
  assert.equal(nextTraining('pausing', 'paused'), 'paused');
  assert.equal(nextTraining('paused', 'resume'), 'running');
  assert.equal(nextTraining('paused', 'resumed'), 'running');
  assert.equal(nextTraining('running', 'stop'), 'stopping');
  assert.equal(nextTraining('paused', 'stop'), 'stopping');
  assert.equal(nextTraining('stopping', 'done'), 'idle');
  assert.equal(nextTraining('running', 'done'), 'idle');
  // not applicable
  assert.equal(nextTraining('idle', 'pause'), 'idle');
  assert.equal(nextTraining('idle', 'stop'), 'idle');
  assert.equal(nextTraining('running', 'start'), 'running');
  assert.equal(nextTraining('running', 'resume'), 'running');
  assert.equal(nextTraining('stopping', 'resumed'), 'stopping', 'a stop wakes a paused worker: it stays stopping');
  assert.equal(nextTraining('stopping', 'paused'), 'stopping');
  assert.equal(nextTraining('idle', 'bogus'), 'idle');
});

test('addRun: ids, labels and colours per normalization', () => {
  const s = emptyState();
  const a = addRun(s, { norm: 'bn' }, settings);
  const b = addRun(s, { norm: 'bn' }, settings);
  const c = addRun(s, { norm: 'gn', groups: 4 }, settings);
  const d = addRun(s, { norm: 'gn' }, settings, { label: 'GN (file)', status: 'loaded', id: 40 });
  assert.deepEqual(s.runs.map((r) => r.label), ['BN', 'BN #2', 'GN (4 groups)', 'GN (file)']);
  assert.deepEqual([a.id, b.id, c.id, d.id], [1, 2, 3, 40]);
  assert.notEqual(a.color, b.color);
  assert.equal(a.status, 'queued');
  assert.equal(d.status, 'loaded');
  assert.equal(a.paramCount, 49272);
  assert.equal(a.epochsPlanned, 2);
  assert.equal(runById(s, 3), c);
});

test('a queue of two runs: start, progress, epochs, end, done', () => {
  const s = emptyState();
  const r1 = addRun(s, { norm: 'bn' }, settings);
  const r2 = addRun(s, { norm: 'ln' }, settings);
  startQueue(s, [r1.id, r2.id]);
  assert.equal(s.training, 'running');
  assert.equal(currentRun(s), r1);
  const cfg = { model: { norm: 'bn', groups: 0 }, settings: { ...settings, maxLr: 0.1 } };
  applyRunStart(s, { id: r1.id, index: 0, config: cfg, paramCount: 49000, epochs: 2 });
  assert.equal(r1.status, 'running');
  assert.equal(r1.settings.maxLr, 0.1);
  assert.equal(s.selectedRun, r1.id);
  const p = { stepsPerEpoch: 4, totalSteps: 8, globalStep: 2, epoch: 0, stepInEpoch: 2, lr: 0.01, lastLoss: 2 };
  applyProgress(s, { id: r1.id, p, firstStep: 0, losses: [2.3, 2.2], lrs: [0.01, 0.02], seconds: 0.5, imagesPerSec: 100 });
  assert.deepEqual(r1.batches, [[0.25, 2.3], [0.5, 2.2]]);
  assert.deepEqual(r1.lrs, [[0.25, 0.01], [0.5, 0.02]]);
  assert.equal(r1.globalStep, 2);
  assert.equal(r1.stepsPerEpoch, 4);
  assert.equal(s.ips, 100);
  applyProgress(s, { id: r1.id, p: { ...p, globalStep: 4 }, firstStep: 2, losses: [2.1, 2.0], lrs: [0.03, 0.04], seconds: 1, imagesPerSec: 200 });
  assert.equal(s.ips, 0.7 * 100 + 0.3 * 200);
  applyEpoch(s, { id: r1.id, epoch: 1, trainLoss: 2.1, trainAcc: 0.2, lr: 0.04, seconds: 1, evalSeconds: 0.2, eval: evalOf(0.3) });
  assert.equal(r1.epochsDone, 1);
  assert.deepEqual(r1.epochs[0], { epoch: 1, trainLoss: 2.1, trainAcc: 0.2, testLoss: 1.5, testAcc: 0.3, lr: 0.04, seconds: 1 });
  assert.equal(r1.finalEval.acc, 0.3);
  assert.equal(s.evalSeconds, 0.2);
  applyRunEnd(s, { id: r1.id, status: 'finished', seconds: 2 });
  assert.equal(r1.status, 'finished');
  assert.equal(r1.seconds, 2);
  applyRunStart(s, { id: r2.id, index: 1, config: { model: { norm: 'ln' }, settings }, paramCount: 49000, epochs: 2 });
  assert.equal(currentRun(s), r2);
  applyRunEnd(s, { id: r2.id, status: 'error', message: 'loss became NaN', seconds: 1 });
  assert.equal(r2.error, 'loss became NaN');
  const done = applyQueueDone(s);
  assert.deepEqual(done, { wasStopping: false, count: 2, finished: ['BN'], failed: ['LN'] });
  assert.equal(s.training, 'idle');
  assert.equal(s.queue, null);
  assert.equal(currentRun(s), null);
  // messages about unknown runs are ignored
  assert.equal(applyProgress(s, { id: 99, p, firstStep: 0, losses: [], lrs: [] }), null);
  assert.equal(applyEpoch(s, { id: 99 }), null);
});

test('stopping: runs cancelled before their first epoch go, stopped ones stay', () => {
  const s = emptyState();
  const r1 = addRun(s, { norm: 'bn' }, settings);
  const r2 = addRun(s, { norm: 'gn' }, settings);
  startQueue(s, [r1.id, r2.id]);
  applyRunStart(s, { id: r1.id, index: 0, config: { model: { norm: 'bn' }, settings }, paramCount: 1, epochs: 2 });
  s.training = nextTraining(s.training, 'stop');
  applyRunEnd(s, { id: r1.id, status: 'stopped', seconds: 1 });
  applyRunEnd(s, { id: r2.id, status: 'cancelled', seconds: 0 });
  const done = applyQueueDone(s);
  assert.equal(done.wasStopping, true);
  assert.deepEqual(s.runs.map((r) => [r.label, r.status]), [['BN', 'stopped']]);
});

test('runError: a run that could not start is dropped; other errors mark it', () => {
  const s = emptyState();
  const r1 = addRun(s, { norm: 'bn' }, settings);
  const r2 = addRun(s, { norm: 'ln' }, settings);
  assert.equal(applyRunError(s, { id: r1.id, setup: true, message: 'batch too large' }), r1);
  assert.deepEqual(s.runs, [r2]);
  applyRunError(s, { id: r2.id, message: 'out of memory' });
  assert.equal(r2.status, 'error');
  assert.equal(applyRunError(s, { message: 'A training is already running.' }), null);
});

test('removeRun refuses runs that train or wait; selection follows', () => {
  const s = emptyState();
  const r1 = addRun(s, { norm: 'bn' }, settings, { status: 'finished', finalEval: evalOf(0.5) });
  const r2 = addRun(s, { norm: 'ln' }, settings, { status: 'finished', finalEval: evalOf(0.4) });
  const r3 = addRun(s, { norm: 'gn' }, settings, { status: 'running' });
  assert.equal(selectedEvalRun(s), r2, 'the last run with an evaluation by default');
  s.selectedRun = r1.id;
  assert.equal(selectedEvalRun(s), r1);
  assert.equal(removeRun(s, r3.id), false);
  assert.equal(removeRun(s, r1.id), true);
  assert.equal(s.selectedRun, null);
  assert.equal(selectedEvalRun(s), r2);
  assert.equal(removeRun(s, 77), false);
  assert.deepEqual(s.runs.map((r) => r.id), [r2.id, r3.id]);
});
