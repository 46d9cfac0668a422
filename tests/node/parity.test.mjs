// (c) Same seed and settings -> the same weights and evaluation, bit for bit, from the native
// build (wasm_bindings/native_parity.c), the single-threaded Wasm build and the
// multi-threaded one (thread count must not change results).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { makeBatches, writeDataset } from './support_cifar.mjs';
import { bytes, configText, loadNormLab, runNative, tempDir, trainN } from './support_wasm.mjs';

const STEPS = 5;
const CASES = [
  { name: 'reference bn', model: { preset: 'reference', norm: 'bn' }, settings: { batch: 32, epochs: 2, seed: 7 } },
  { name: 'reference gn', model: { preset: 'reference', norm: 'gn' }, settings: { batch: 32, epochs: 2, seed: 8 } },
  { name: 'reference ln', model: { preset: 'reference', norm: 'ln' }, settings: { batch: 32, epochs: 2, seed: 9 } },
  {
    name: 'default gn, dropout, step schedule, nesterov, l1, label smoothing',
    model: { norm: 'gn', groups: 4, dropout: 0.1 },
    settings: { batch: 32, epochs: 3, seed: 10, schedule: 'step', step_epochs: 1, nesterov: true, l1: 1e-5,
      label_smoothing: 0.1, max_lr: 0.03 },
  },
  // the model levers of issue 15 (ReLU before the norm, weight standardisation, zero-init skips)
  {
    name: 'levers gn: relu_norm, weight_std, zero_init_skip, dropout',
    model: { norm: 'gn', order: 'relu_norm', weight_std: true, zero_init_skip: true, dropout: 0.1 },
    settings: { batch: 32, epochs: 2, seed: 11 },
  },
  {
    name: 'levers bn: relu_norm, weight_std',
    model: { norm: 'bn', order: 'relu_norm', weight_std: true },
    settings: { batch: 32, epochs: 2, seed: 12 },
  },
];

let tmp;
let data;
let batches;
before(() => {
  tmp = tempDir();
  batches = makeBatches(512, 256, 2);
  data = writeDataset(tmp.dir, batches);
});
after(() => tmp.cleanup());

function assertSameEval(ev, nat, label) {
  assert.equal(ev.n, nat.n, `${label}: n`);
  assert.ok(Object.is(ev.loss, nat.loss), `${label}: loss ${ev.loss} vs native ${nat.loss}`);
  assert.ok(Object.is(ev.acc, nat.acc), `${label}: acc`);
  assert.deepEqual([...ev.classAcc], nat.classAcc, `${label}: class accuracy`);
  assert.deepEqual(ev.confusion.flatMap((r) => [...r]), nat.confusion, `${label}: confusion`);
  assert.ok(bytes(ev.pred).equals(nat.pred), `${label}: predictions`);
  assert.ok(bytes(ev.conf).equals(nat.conf), `${label}: confidences`);
}

for (const c of CASES) {
  test(`parity: ${c.name}`, async () => {
    const file = join(tmp.dir, 'config.json');
    writeFileSync(file, configText({ ...c.model, ...c.settings, threads: 1 }));
    const nat = runNative(['--data', data.folder, '--config', file, '--steps', String(STEPS)]);
    const nat2 = runNative(['--data', data.tgzPath, '--config', file, '--steps', String(STEPS), '--threads', '2']);
    assert.equal(nat.globalStep, STEPS);
    assert.ok(nat2.params.equals(nat.params), 'native: 2 threads differ from 1');

    // st with 2 threads: pthread_create fails there and the pool runs on the caller's thread
    for (const [variant, threads] of [['st', 1], ['st', 2], ['mt', 2], ['mt', 1]]) {
      const label = `${c.name} ${variant}/${threads}`;
      const nl = await loadNormLab(variant, threads);
      try {
        if (variant === 'st') nl.loadDatasetBatches(batches);
        else await nl.loadDatasetArchive(data.tgz);
        const tr = nl.createTrainer(c.model, { ...c.settings, threads });
        const p = trainN(tr, STEPS);
        assert.equal(p.globalStep, STEPS);
        assert.ok(Object.is(p.lastLoss, nat.lastLoss), `${label}: last loss ${p.lastLoss} vs ${nat.lastLoss}`);
        assert.equal(tr.params().length, nat.nParams);
        assert.ok(bytes(tr.params()).equals(nat.params), `${label}: weights differ from native`);
        assert.ok(bytes(tr.bnState()).equals(nat.bnState), `${label}: BN statistics differ from native`);
        assertSameEval(tr.evaluate(), nat.eval, label);
      } finally {
        nl.close();
      }
    }
  });
}
