// "Import a run" (web/lib/run_import.js): metrics files as normlab train --metrics-out and
// tools/pytorch/train.py write them, the choice of files, bad files, and the run record.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ImportError, fileKind, importedRun, parseMetrics, pickFiles } from '../../web/lib/run_import.js';
import { runFromRecord, runToRecord } from '../../web/lib/run_records.js';

// two lines as tools/cli/cmd_train.c writes them (train.py writes the same format)
const CLI = [
  '{"epoch": 1, "train_loss": 2.193764, "train_acc": 0.191667, "test_loss": 2.314140, "test_acc": 0.170000, "lr": 0.040000001, "seconds": 18.674, "images_per_sec": 102.8, "norm": "bn", "params": 49272}',
  '{"epoch": 2, "train_loss": 1.801000, "train_acc": 0.352000, "test_loss": 1.900000, "test_acc": 0.310000, "lr": 4.0000001e-07, "seconds": 17.000, "images_per_sec": 110.0, "norm": "bn", "params": 49272}',
].join('\n') + '\n';
const WITH_VAL = '{"epoch": 1, "train_loss": 2.359679, "train_acc": 0.183594, "val_loss": 2.229601, "val_acc": 0.225000, "test_loss": 2.2, "test_acc": 0.22, "lr": 4e-07, "seconds": 1.0, "images_per_sec": 300.0, "norm": "gn", "params": 49272}\n';

const bytes = (s) => new TextEncoder().encode(s);
const safetensorsHead = () => {
  const h = new Uint8Array(16);
  h[0] = 200; // header length 200, little-endian
  h[8] = 0x7b;
  h[9] = 0x22;
  return h;
};

test('a metrics file of normlab train / train.py becomes the page\'s epoch records', () => {
  const p = parseMetrics(CLI, 'm.jsonl');
  assert.equal(p.norm, 'bn');
  assert.equal(p.params, 49272);
  assert.equal(p.hasVal, false);
  assert.equal(p.epochs.length, 2);
  assert.deepEqual(p.epochs[0], {
    epoch: 1, trainLoss: 2.193764, trainAcc: 0.191667, testLoss: 2.31414, testAcc: 0.17, lr: 0.040000001, seconds: 18.674,
    epochSeconds: 18.674,
  });
  assert.ok(Math.abs(p.epochs[1].seconds - 35.674) < 1e-9, 'seconds add up to the time so far');
  const v = parseMetrics(WITH_VAL.replace(/\n$/, '\r\n\r\n'));
  assert.equal(v.hasVal, true);
  assert.equal(v.epochs[0].valAcc, 0.225);
  assert.equal(v.norm, 'gn');
  assert.equal(parseMetrics(`\ufeff${CLI}`).epochs.length, 2, 'a byte order mark is allowed');
});

test('bad metrics files: one clear message naming the line', () => {
  const bad = [
    ['', /no epochs/],
    ['\n\n', /no epochs/],
    ['nope\n', /line 1: not JSON/],
    ['[1, 2]\n', /line 1: not a JSON object/],
    ['{"epoch": 1}\n', /line 1: missing train_loss, train_acc, test_loss, test_acc, lr/],
    [CLI.replace('"epoch": 2', '"epoch": 3'), /line 2: epoch 3 where epoch 2 was expected/],
    [CLI.replace('"test_acc": 0.170000', '"test_acc": 17.0'), /line 1: test_acc must be a fraction in \[0, 1\], got 17/],
    [CLI.replace('"train_loss": 2.193764', '"train_loss": "2.1"'), /line 1: train_loss must be a finite number/],
    [CLI.replace('"train_loss": 2.193764', '"train_loss": -1'), /cannot be negative/],
    [CLI.split('\n').map((l, i) => (i === 1 ? l.replace('"norm": "bn"', '"norm": "gn"') : l)).join('\n'), /line 2: norm gn after bn/],
    [CLI.replace('"norm": "bn"', '"norm": "xn"'), /line 1: norm must be bn, gn or ln/],
    [WITH_VAL + WITH_VAL.replace('"epoch": 1', '"epoch": 2').replace('"val_loss": 2.229601, "val_acc": 0.225000, ', ''), /line 2: val_loss\/val_acc in some lines only/],
  ];
  for (const [text, pattern] of bad) {
    assert.throws(() => parseMetrics(text, 'm.jsonl'), (e) => e instanceof ImportError && pattern.test(e.message)
      && !e.message.includes('\n'), `${JSON.stringify(text.slice(0, 40))} -> ${pattern}`);
  }
  assert.throws(() => parseMetrics('nope', 'run.jsonl'), /^ImportError: run\.jsonl, line 1/);
});

test('file kinds from the first bytes, and the choice of files', () => {
  assert.equal(fileKind('m.jsonl', bytes(CLI.slice(0, 16))), 'metrics');
  assert.equal(fileKind('m.txt', bytes('  \n{"epoch": 1')), 'metrics');
  assert.equal(fileKind('w.safetensors', safetensorsHead()), 'safetensors');
  assert.equal(fileKind('w.bin', safetensorsHead()), 'safetensors', 'by content, whatever the name');
  assert.equal(fileKind('x.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47])), 'unknown');
  assert.equal(fileKind('short.safetensors', new Uint8Array(3)), 'safetensors', 'a cut .safetensors goes to the engine, which says why');
  const m = { name: 'm.jsonl', kind: 'metrics' };
  const w = { name: 'w.safetensors', kind: 'safetensors' };
  assert.deepEqual(pickFiles([w, m]), { metrics: m, weights: w });
  assert.deepEqual(pickFiles([m]), { metrics: m, weights: null });
  assert.throws(() => pickFiles([w]), /pick the run's metrics file/);
  assert.throws(() => pickFiles([m, { ...m, name: 'n.jsonl' }]), /one metrics file at a time \(got m\.jsonl, n\.jsonl\)/);
  assert.throws(() => pickFiles([m, w, { ...w, name: 'v.safetensors' }]), /at most one \.safetensors/);
  assert.throws(() => pickFiles([m, { name: 'x.png', kind: 'unknown' }]), /x\.png: not a metrics file/);
});

test('the run record: curves and table from the metrics, model and evaluation from the weights', () => {
  const parsed = parseMetrics(CLI, 'm.jsonl');
  const plain = importedRun(parsed, { metricsName: 'm.jsonl' });
  assert.deepEqual(plain.model, { norm: 'bn' });
  assert.equal(plain.extra.status, 'imported');
  assert.equal(plain.extra.epochsDone, 2);
  assert.deepEqual(plain.extra.lrs, [[1, 0.040000001], [2, 4.0000001e-07]]);
  assert.equal(plain.extra.paramCount, 49272);
  assert.equal(plain.extra.finalEval, null);
  assert.equal(plain.extra.hasWeights, false);
  const ev = { acc: 0.3, loss: 1.9, mis: [], images: new Uint8Array(0), confusion: new Int32Array(100) };
  const weights = { name: 'w.safetensors', model: { norm: 'bn', widths: [16] }, settings: { maxLr: 0.1, epochs: 2 }, paramCount: 49272, eval: ev };
  const full = importedRun(parsed, { metricsName: 'm.jsonl', weights });
  assert.equal(full.model.widths[0], 16);
  assert.equal(full.settings.maxLr, 0.1);
  assert.equal(full.extra.finalEval, ev);
  assert.equal(full.extra.fileName, 'm.jsonl + w.safetensors');
  assert.throws(() => importedRun(parsed, { metricsName: 'm.jsonl', weights: { ...weights, model: { norm: 'gn' } } }),
    /m\.jsonl is a BN run but w\.safetensors holds a GN model/);
  assert.throws(() => importedRun(parsed, { metricsName: 'm.jsonl', weights: { ...weights, paramCount: 1000 } }),
    /49272 parameters but w\.safetensors has 1000/);
  // kept in the browser like the page's runs
  const run = { id: 7, label: 'BN (imported)', baseLabel: 'BN', norm: 'bn', model: full.model, settings: full.settings, color: '#000', visible: true, ...full.extra };
  const back = runFromRecord(runToRecord(run));
  assert.equal(back.status, 'imported');
  assert.equal(back.hasWeights, true);
  assert.equal(back.epochs.length, 2);
  assert.equal(back.fileName, 'm.jsonl + w.safetensors');
});
