// (d) Checkpoints cross between Wasm and native: bytes saved by one load in the other and
// give identical predictions, and training resumed on either side stays bit-identical.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { makeBatches, writeDataset } from './support_cifar.mjs';
import { bytes, configText, loadNormLab, runNative, tempDir, trainN } from './support_wasm.mjs';

const MODEL = { preset: 'reference', norm: 'bn' };
const SETTINGS = { batch: 32, epochs: 2, seed: 11, threads: 1 };

let tmp;
let data;
let batches;
before(() => {
  tmp = tempDir();
  batches = makeBatches(512, 256, 3);
  data = writeDataset(tmp.dir, batches);
});
after(() => tmp.cleanup());

test('Wasm checkpoint -> native: same predictions, same resumed training', async () => {
  const nl = await loadNormLab('st');
  try {
    nl.loadDatasetBatches(batches);
    const tr = nl.createTrainer(MODEL, SETTINGS);
    trainN(tr, 3);
    const ckpt = tr.saveCheckpoint();
    const file = join(tmp.dir, 'from-wasm.ckpt');
    writeFileSync(file, ckpt);

    const ev = tr.evaluate();
    const nat = runNative(['--data', data.folder, '--load', file]);
    assert.equal(nat.globalStep, 3);
    assert.ok(bytes(tr.params()).equals(nat.params));
    assert.ok(Object.is(ev.loss, nat.eval.loss));
    assert.ok(bytes(ev.pred).equals(nat.eval.pred));
    assert.ok(bytes(ev.conf).equals(nat.eval.conf));

    // resuming: two more steps on each side
    const natResumed = runNative(['--data', data.folder, '--load', file, '--steps', '2', '--no-eval']);
    trainN(tr, 2);
    assert.equal(natResumed.globalStep, 5);
    assert.ok(bytes(tr.params()).equals(natResumed.params), 'resumed weights differ');

    // and the reloaded Wasm trainer matches the one that saved
    const again = nl.trainerFromCheckpoint(ckpt);
    trainN(again, 2);
    assert.ok(bytes(again.params()).equals(bytes(tr.params())));
  } finally {
    nl.close();
  }
});

test('native checkpoint -> Wasm (st and mt): same predictions and bytes', async () => {
  const settingsFile = join(tmp.dir, 'settings.txt');
  writeFileSync(settingsFile, configText({ ...MODEL, ...SETTINGS }));
  const file = join(tmp.dir, 'from-native.ckpt');
  const nat = runNative(['--data', data.tgzPath, '--config', settingsFile, '--steps', '4', '--save', file]);
  const ckpt = new Uint8Array(readFileSync(file));
  for (const [variant, threads] of [['st', 1], ['mt', 2]]) {
    const nl = await loadNormLab(variant, threads);
    try {
      await nl.loadDatasetArchive(data.tgz);
      const tr = nl.trainerFromCheckpoint(ckpt, { threads: 1 });
      assert.equal(tr.progress().globalStep, 4);
      assert.ok(bytes(tr.params()).equals(nat.params));
      assert.ok(bytes(tr.saveCheckpoint()).equals(Buffer.from(ckpt)), 'saved bytes differ from the loaded ones');
      const ev = tr.evaluate();
      assert.ok(Object.is(ev.loss, nat.eval.loss));
      assert.ok(bytes(ev.pred).equals(nat.eval.pred));
      assert.ok(bytes(ev.conf).equals(nat.eval.conf));
      assert.deepEqual(ev.confusion.flatMap((r) => [...r]), nat.eval.confusion);
    } finally {
      nl.close();
    }
  }
});
