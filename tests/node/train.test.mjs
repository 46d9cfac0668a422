// (b) Training on synthetic CIFAR-format data lowers the loss, in both builds, with the data
// given as six batch buffers or as a .tar.gz; both forms load the same images.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';

import { makeBatches, makeTarGz } from './support_cifar.mjs';
import { bytes, loadNormLab } from './support_wasm.mjs';

const batches = makeBatches(512, 256, 1);
const tgz = makeTarGz(batches);
const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;

/** The core's own list of the k most confident mistakes of the last evaluation (C export). */
function coreTopMistakes(nl, tr, k) {
  const M = nl._M;
  const out = M._malloc(4 * k + 4);
  try {
    nl._check(M._nlw_trainer_misclassified(tr._handle(), k, 1, out, out + 4 * k));
    return [...nl._copyOut(Int32Array, out, nl._i32(out + 4 * k))];
  } finally {
    M._free(out);
  }
}

test('the .tar.gz and the six buffers give the same data set', async () => {
  const nl = await loadNormLab('st');
  try {
    const a = nl.loadDatasetBatches(batches);
    const imgA = nl.images(0, 256, 'test');
    const trainA = nl.labels('train');
    const b = await nl.loadDatasetArchive(tgz);
    assert.deepEqual(a, b);
    assert.equal(b.train, 512);
    assert.equal(b.test, 256);
    assert.equal(b.classNames[9], 'truck');
    assert.ok(bytes(nl.images(0, 256, 'test')).equals(bytes(imgA)));
    assert.ok(bytes(nl.labels('train')).equals(bytes(trainA)));
    assert.ok(bytes(nl.testImage(5)).equals(Buffer.from(batches[5].subarray(5 * 3073 + 1, 6 * 3073))));
  } finally {
    nl.close();
  }
});

test('archives stream in: any piece size, Blob, ReadableStream, plain tar; the heap does not hold them', async () => {
  const nl = await loadNormLab('st');
  try {
    const ref = nl.loadDatasetBatches(batches);
    const trainRef = bytes(nl.images(0, 512, 'train'));
    const tar = new Uint8Array(gunzipSync(tgz));
    async function* pieces(u8, n) { for (let i = 0; i < u8.length; i += n) yield u8.subarray(i, i + n); }
    async function* headBytes(u8) { // the gzip magic split over pieces of one byte, then the rest
      for (let i = 0; i < 5; i++) yield u8.subarray(i, i + 1);
      yield u8.subarray(5);
    }
    const heapBefore = nl._buffer().byteLength;
    const sources = [
      ['gzip in 1000-byte pieces', pieces(tgz, 1000)],
      ['gzip starting with 1-byte pieces', headBytes(tgz)],
      ['gzip as a Blob', new Blob([tgz])],
      ['gzip as a ReadableStream', new Blob([tgz]).stream()],
      ['plain tar in 3073-byte pieces', pieces(tar, 3073)],
      ['plain tar whole', tar],
    ];
    for (const [label, src] of sources) {
      let calls = 0;
      const info = await nl.loadDatasetArchive(src, { onProgress: () => calls++ });
      assert.deepEqual(info, ref, label);
      assert.ok(bytes(nl.images(0, 512, 'train')).equals(trainRef), `${label}: other images`);
      assert.ok(calls > 0, `${label}: no progress`);
    }
    // data set 1.6 MB, tar 2.4 MB: the heap grew by no more than the data set and the 1 MiB piece
    assert.ok(nl._buffer().byteLength - heapBefore <= 4 << 20, `heap grew ${nl._buffer().byteLength - heapBefore}`);
    // one load at a time
    const first = nl.loadDatasetArchive(tgz);
    await assert.rejects(nl.loadDatasetArchive(tgz), /already loading/);
    await first;
  } finally {
    nl.close();
  }
});

for (const [variant, threads, form] of [['st', 1, 'batches'], ['mt', 2, 'tar.gz']]) {
  test(`${variant} (${threads} threads, ${form}): the loss falls`, async () => {
    const nl = await loadNormLab(variant, threads);
    try {
      if (form === 'batches') nl.loadDatasetBatches(batches);
      else await nl.loadDatasetArchive(tgz);
      const tr = nl.createTrainer({ norm: 'bn' }, { batch: 32, epochs: 2, seed: 3, schedule: 'const', max_lr: 0.02 });
      const before = tr.evaluate();
      const losses = [];
      for (let i = 0; i < 12; i++) {
        const p = tr.trainSteps(1);
        assert.equal(p.stepsRun, 1);
        assert.ok(Number.isFinite(p.lastLoss));
        losses.push(p.lastLoss);
      }
      const p = tr.progress();
      assert.equal(p.globalStep, 12);
      assert.equal(p.stepsPerEpoch, 16);
      assert.equal(p.totalSteps, 32);
      const after = tr.evaluate({ order: 'index' });
      assert.ok(mean(losses.slice(-3)) < mean(losses.slice(0, 3)) - 0.3, `losses ${losses.join(' ')}`);
      assert.ok(after.loss < before.loss - 0.3, `test loss ${before.loss} -> ${after.loss}`);
      assert.ok(after.acc > 0.3, `test accuracy ${after.acc}`);

      // the evaluation's parts agree with each other
      assert.equal(after.n, 256);
      assert.equal(after.pred.length, 256);
      assert.equal(after.confusion.flatMap((r) => [...r]).reduce((s, x) => s + x, 0), 256);
      const labels = nl.labels('test');
      const wrong = [...after.pred].filter((c, i) => c !== labels[i]).length;
      assert.equal(after.misclassified.length, wrong);
      assert.ok(Math.abs(after.acc - (256 - wrong) / 256) < 1e-12);
      for (const m of after.misclassified) {
        assert.notEqual(m.label, m.pred);
        assert.equal(m.pred, after.pred[m.index]);
        assert.equal(m.conf, after.conf[m.index]);
      }
      const top = tr.evaluate({ limit: 20 }).misclassified;
      assert.ok(top.length <= 20);
      for (let i = 1; i < top.length; i++) assert.ok(top[i - 1].conf >= top[i].conf);
      assert.deepEqual(top.map((m) => m.index), coreTopMistakes(nl, tr, 20), 'order differs from the core\'s');
      // predict() on raw images gives the evaluation's predictions
      const logits = tr.predict(nl.images(0, 4));
      for (let i = 0; i < 4; i++) {
        const row = [...logits.subarray(i * 10, i * 10 + 10)];
        assert.equal(row.indexOf(Math.max(...row)), after.pred[i]);
      }
    } finally {
      nl.close();
    }
  });
}

test('setEpochs: a constant-LR run extended past its plan ends with the weights of the longer plan', async () => {
  const nl = await loadNormLab('st');
  try {
    nl.loadDatasetBatches(batches);
    const settings = { batch: 64, seed: 5, schedule: 'const', max_lr: 0.02, threads: 1 };
    const toEnd = (tr) => {
      while (!tr.progress().finished) tr.trainSteps(1000);
    };
    const straight = nl.createTrainer({ norm: 'gn' }, { ...settings, epochs: 2 });
    toEnd(straight);
    const extended = nl.createTrainer({ norm: 'gn' }, { ...settings, epochs: 1 });
    toEnd(extended);
    assert.throws(() => extended.setEpochs(0), /epochs/);
    assert.throws(() => extended.setEpochs(1001), /epochs/);
    assert.throws(() => extended.setEpochs(1.5), /integer/);
    extended.setEpochs(2);
    assert.equal(extended.config().epochs, 2);
    assert.equal(extended.progress().totalSteps, 16);
    toEnd(extended);
    assert.ok(bytes(extended.params()).equals(bytes(straight.params())), 'extended = straight');
    assert.throws(() => extended.setEpochs(1), /at least the 2 already trained/);
    straight.free();
    extended.free();
  } finally {
    nl.close();
  }
});
