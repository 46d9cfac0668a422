// The page's planned learning-rate curve follows the core's schedules: checked against the
// LR the Wasm trainer reports after each step (when the Wasm build is there).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { lrAt, plannedLr, stepsPerEpoch } from '../../web/lib/schedule.js';
import { setSchema } from '../../web/lib/settings.js';
import { makeBatches } from '../browser/support.mjs';
import { loadNormLab } from './support_wasm.mjs';

// the schedule parameters' defaults come from the engine's settings table
const schemaNl = await loadNormLab('st', 1);
setSchema(schemaNl.schema());
schemaNl.close();

// In Node, wasm_bindings/normlab.js loads the build in build/wasm/ (as the other Node tests do).
const API = fileURLToPath(new URL('../../wasm_bindings/normlab.js', import.meta.url));
const GLUE = fileURLToPath(new URL('../../build/wasm/normlab-simd.js', import.meta.url));

test('steps per epoch drop the last partial batch', () => {
  assert.equal(stepsPerEpoch(50000, 128), 390);
  assert.equal(stepsPerEpoch(480, 32), 15);
  assert.equal(stepsPerEpoch(20, 32), 1);
  assert.equal(stepsPerEpoch(0, 32), 0);
});

test('OneCycle: starts at max/25, peaks at 25 %, ends near max/25e4', () => {
  const s = { schedule: 'onecycle', max_lr: 0.05 };
  const total = 1000;
  assert.ok(Math.abs(lrAt(s, 0, total, 100) - 0.002) < 1e-12);
  assert.ok(Math.abs(lrAt(s, 249, total, 100) - 0.05) < 1e-12);
  assert.ok(Math.abs(lrAt(s, 999, total, 100) - 0.05 / 25 / 1e4) < 1e-15);
  assert.ok(lrAt(s, 100, total, 100) < lrAt(s, 200, total, 100));
  assert.ok(lrAt(s, 600, total, 100) > lrAt(s, 800, total, 100));
});

test('the page\'s run objects (maxLr, ...) give the same curve', () => {
  assert.equal(lrAt({ schedule: 'onecycle', maxLr: 0.05 }, 123, 1000, 100), lrAt({ schedule: 'onecycle', max_lr: 0.05 }, 123, 1000, 100));
});

test('step and constant schedules', () => {
  const step = { schedule: 'step', max_lr: 0.1 };
  assert.equal(lrAt(step, 0, 1000, 10), 0.1);
  assert.equal(lrAt(step, 79, 1000, 10), 0.1);
  assert.ok(Math.abs(lrAt(step, 80, 1000, 10) - 0.01) < 1e-15);
  assert.equal(lrAt({ schedule: 'const', max_lr: 0.3 }, 500, 1000, 10), 0.3);
});

test('planned curve: positions after each step, thinned, ending at the last epoch', () => {
  const pts = plannedLr({ schedule: 'onecycle', max_lr: 0.05, epochs: 20, batch: 128 }, 50000, 400);
  assert.ok(pts.length <= 402 && pts.length > 300);
  assert.equal(pts[0][0], 1 / 390);
  assert.equal(pts[pts.length - 1][0], 20);
  assert.deepEqual(plannedLr({ schedule: 'const', max_lr: 0.1, epochs: 2, batch: 32 }, 0), []);
});

test('matches the LR the core reports after each step', { skip: !existsSync(GLUE) && 'build/wasm is not built' }, async () => {
  const { NormLab } = await import(API);
  const nl = await NormLab.create({ variant: 'st' });
  try {
    nl.loadDatasetBatches(makeBatches(100, 20, 2));
    for (const schedule of ['onecycle', 'step', 'const']) {
      const settings = { schedule, max_lr: 0.05, epochs: 10, batch: 16, step_epochs: 3, crop: 0, cutout: 0 };
      const tr = nl.createTrainer({ norm: 'gn' }, settings);
      const planned = plannedLr({ ...settings, step_epochs: 3 }, 100, 10000);
      assert.equal(planned.length, 60);
      for (let i = 0; i < 60; i++) {
        const p = tr.trainSteps(1);
        const want = planned[i][1];
        assert.ok(Math.abs(p.lr - want) <= 1e-6 * want + 1e-12, `${schedule} step ${i}: core ${p.lr}, page ${want}`);
        assert.ok(Math.abs(p.globalStep / p.stepsPerEpoch - planned[i][0]) < 1e-12);
      }
      tr.free();
    }
  } finally {
    nl.close();
  }
});
