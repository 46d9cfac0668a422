// (e) Bad input through the API: every case throws a NormLabError with a clear message,
// nothing crashes, and the module, its data set and an existing trainer keep working.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';

import { makeBatch, makeBatches, makeTarGz } from './support_cifar.mjs';
import { NormLabError, loadNormLab } from './support_wasm.mjs';

const batches = makeBatches(256, 64, 4);
const tgz = makeTarGz(batches);

/** Asserts fn throws a NormLabError whose message matches re. */
function rejects(fn, re) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof NormLabError, `expected NormLabError, got ${e && e.stack}`);
    assert.match(e.message, re);
    return true;
  });
}

/** The same for a call that returns a promise. */
async function rejectsAsync(fn, re) {
  await assert.rejects(fn, (e) => {
    assert.ok(e instanceof NormLabError, `expected NormLabError, got ${e && e.stack}`);
    assert.match(e.message, re);
    return true;
  });
}

function randomBytes(n, seed) {
  const b = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

for (const [variant, threads] of [['st', 1], ['mt', 2]]) {
  test(`${variant}: bad input comes back as errors and everything stays usable`, async () => {
    const nl = await loadNormLab(variant, threads);
    try {
      // before any data: clear errors, not crashes
      rejects(() => nl.datasetInfo(), /no data set loaded/);
      const early = nl.createTrainer({ norm: 'bn' }, { batch: 16, seed: 1 });
      rejects(() => early.trainSteps(1), /no data set loaded/);
      rejects(() => early.evaluate(), /no data set loaded/);
      early.free();

      nl.loadDatasetBatches(batches);
      const good = nl.datasetInfo();
      const tr = nl.createTrainer({ norm: 'bn' }, { batch: 16, seed: 1 });
      tr.trainSteps(1);
      const check = () => { // the module, the data and the trainer still work
        assert.deepEqual(nl.datasetInfo(), good);
        const before = tr.progress().globalStep;
        assert.equal(tr.trainSteps(1).globalStep, before + 1);
      };

      // data sets
      // (.tar.gz is inflated by node:zlib; its messages follow "archive: gzip: ")
      await rejectsAsync(() => nl.loadDatasetArchive(tgz.subarray(0, tgz.length >> 1)), /archive: gzip: unexpected end of file/);
      check();
      await rejectsAsync(() => nl.loadDatasetArchive(tgz.subarray(0, 10)), /archive: gzip: unexpected end of file/);
      await rejectsAsync(() => nl.loadDatasetArchive(randomBytes(100000, 5)), /archive: not a gzip or tar file/);
      await rejectsAsync(() => nl.loadDatasetArchive(new Uint8Array(0)), /no bytes/);
      const corrupt = tgz.slice();
      corrupt[corrupt.length >> 1] ^= 0x55;
      await rejectsAsync(() => nl.loadDatasetArchive(corrupt), /archive: (gzip|tar)/);
      const badCrc = tgz.slice();
      badCrc[badCrc.length - 6] ^= 0x01; // the CRC-32 in the trailer
      await rejectsAsync(() => nl.loadDatasetArchive(badCrc), /archive: gzip: incorrect data check/);
      // a plain tar cut inside a batch file: the core's tar reader names the entry
      const tar = new Uint8Array(gunzipSync(tgz));
      await rejectsAsync(() => nl.loadDatasetArchive(tar.subarray(0, 5000)), /archive: tar: entry cifar-10-batches-bin\/data_batch_1\.bin truncated/);
      check();
      const wrongSize = [...batches];
      wrongSize[2] = batches[2].subarray(0, batches[2].length - 7);
      rejects(() => nl.loadDatasetBatches(wrongSize), /data_batch_3\.bin: size \d+ is not a multiple of 3073-byte records/);
      const badLabel = [...batches];
      badLabel[5] = makeBatch(3, 9);
      badLabel[5][3073] = 12;
      rejects(() => nl.loadDatasetBatches(badLabel), /test_batch\.bin: record 1 has label 12/);
      rejects(() => nl.loadDatasetBatches(batches.slice(0, 5)), /needs 6 buffers/);
      rejects(() => nl.loadDatasetBatches([...batches.slice(0, 5), new Uint8Array(0)]), /test_batch\.bin: empty/);
      check();

      // checkpoints
      const ckpt = tr.saveCheckpoint();
      const flipped = ckpt.slice();
      flipped[ckpt.length >> 1] ^= 0x01;
      rejects(() => nl.trainerFromCheckpoint(flipped), /checkpoint: checksum mismatch/);
      rejects(() => nl.trainerFromCheckpoint(ckpt.subarray(0, ckpt.length - 100)), /checkpoint: truncated/);
      rejects(() => nl.trainerFromCheckpoint(randomBytes(5000, 7)), /checkpoint: not a normlab checkpoint/);
      rejects(() => nl.trainerFromCheckpoint(new Uint8Array(0)), /checkpoint: no bytes/);
      check();

      // settings
      rejects(() => nl.createTrainer({}, { max_lr: -0.1 }), /config: max_lr must be in \(0, 10\], got -0.1/);
      rejects(() => nl.createTrainer({}, { batch: 0 }), /batch must be an integer in 1\.\.4096, got 0/);
      rejects(() => nl.createTrainer({ norm: 'xyz' }), /norm must be bn, gn or ln, got 'xyz'/);
      rejects(() => nl.createTrainer({}, { schedule: 'cosine' }), /schedule must be onecycle, step or const, got 'cosine'/);
      rejects(() => nl.createTrainer({}, { epochs: 2.5 }), /epochs must be an integer in 1\.\.1000, got 2.5/);
      rejects(() => nl.createTrainer({}, { max_lr: NaN }), /max_lr must be in \(0, 10\], got null/);
      rejects(() => nl.createTrainer({}, { max_lr: 1e300 }), /max_lr must be in \(0, 10\], got 1e\+300/);
      rejects(() => nl.createTrainer({}, { maxLr: 0.1 }), /unknown field 'maxLr'/);
      rejects(() => nl.createTrainer({ widths: [16, 32] }), /widths must be a list of 10 integers/);
      rejects(() => nl.createTrainer({ norm: 'gn', groups: 5 }), /5 groups do not divide/);
      rejects(() => nl.createTrainer({ skips: [['C1', 'C2']] }), /skip C1 -> C2 adds .* \(shapes differ\)/);
      rejects(() => nl.createTrainer({ skips: [['C9', 'XX']] }), /skips: unknown layer 'XX'/);
      rejects(() => nl.createTrainer({ dropout: 1.5 }), /dropout must be in \[0, 1\)/);
      rejects(() => nl.createTrainer({}, { seed: -1 }), /seed must be a decimal string/);
      rejects(() => nl.createTrainer({}, { seed: 2 ** 53 }), /seed must be a decimal string/);
      rejects(() => nl.createTrainer({}, { seed: '18446744073709551616' }), /seed must be an integer in 0\.\.18446744073709551615/);
      rejects(() => nl.createTrainer({}, { val: 15 }), /val must be a multiple of 10/);
      rejects(() => nl.createTrainer('not an object'), /a configuration must be an object/);
      rejects(() => nl.report({ widths: [1, 2, 3, 4, 5, 6, 7, 8, 9, 0] }), /widths of C9 must be an integer in 1\.\.256, got 0/);
      check();

      // calls on a trainer
      rejects(() => tr.trainSteps(0), /steps must be >= 1, got 0/);
      rejects(() => tr.trainSteps(1.5), /steps must be an integer/);
      rejects(() => tr.evaluate({ set: 'validation' }), /unknown set 'validation'/);
      rejects(() => tr.predict(new Uint8Array(100)), /not a whole number of 3072-byte images/);
      rejects(() => nl.images(60, 10), /outside the test set/);
      check();
      const gone = nl.createTrainer({}, { batch: 8 });
      gone.free();
      rejects(() => gone.trainSteps(1), /trainer was freed/);
      rejects(() => nl._M._nlw_trainer_free(12345) === 0 || nl._check(nl._M._nlw_trainer_free(12345)),
        /invalid or freed trainer/);
      check();
      assert.ok(tr.evaluate().n > 0);
    } finally {
      nl.close();
    }
  });
}
