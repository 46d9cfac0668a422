// One configuration JSON everywhere: `normlab config` writes it, `normlab train --config`
// trains from it, and the Wasm API takes the same JSON; a run with seed 4000000000 (beyond
// 2^31, as the page allows) through the Wasm API equals the CLI's run bit for bit, with a
// validation split and a train fraction. The schema the page reads comes from the module.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { after, before, test } from 'node:test';

import { makeBatches, writeDataset } from './support_cifar.mjs';
import { ROOT, bytes, loadNormLab, tempDir, trainN } from './support_wasm.mjs';

function normlabPath() {
  const dir = process.env.NL_BUILD_DIR || 'build';
  const exe = join(isAbsolute(dir) ? dir : join(ROOT, dir), 'normlab');
  if (!existsSync(exe)) throw new Error(`${exe} is missing: run cmake --build build`);
  return exe;
}
const normlab = (args) => execFileSync(normlabPath(), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

let tmp;
let data;
let batches;
before(() => {
  tmp = tempDir();
  batches = makeBatches(1000, 100, 4); // 1000 training images
  data = writeDataset(tmp.dir, batches);
});
after(() => tmp.cleanup());

test('a Wasm run from the CLI\'s configuration JSON (seed 4000000000) equals the CLI run bit for bit', async () => {
  const text = normlab(['config', '--norm', 'gn', '--seed', '4000000000', '--epochs', '2', '--batch', '50', '--val', '100',
    '--train-fraction', '0.5', '--threads', '1']);
  const file = join(tmp.dir, 'c.json');
  writeFileSync(file, text);
  const config = JSON.parse(text);
  assert.equal(config.seed, '4000000000');
  assert.equal(config.norm, 'gn');
  const ckpt = join(tmp.dir, 'cli.ckpt');
  const metrics = join(tmp.dir, 'cli.jsonl');
  normlab(['train', '--config', file, '--data', data.folder, '--save', ckpt, '--metrics-out', metrics, '--quiet']);
  const lines = readFileSync(metrics, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 2);

  for (const [variant, threads] of [['st', 1], ['mt', 2]]) {
    const nl = await loadNormLab(variant, threads);
    try {
      nl.loadDatasetBatches(batches);
      const tr = nl.createTrainer(config);
      // val: 10 per class held out; then half of each class's remaining images
      const count = new Array(10).fill(0);
      for (const y of nl.labels('train')) count[y]++;
      const want = count.reduce((s, c) => s + Math.floor((c - 10) * 0.5), 0);
      assert.deepEqual(tr.dataSplit(), { train: want, val: 100 });
      let p = tr.progress();
      while (!p.finished) p = tr.trainSteps(1000);
      assert.equal(p.globalStep, 2 * Math.floor(want / 50));
      const cli = nl.trainerFromCheckpoint(readFileSync(ckpt));
      assert.ok(bytes(tr.params()).equals(bytes(cli.params())), `${variant}: weights differ from the CLI run`);
      assert.ok(bytes(tr.bnState()).equals(bytes(cli.bnState())), `${variant}: statistics differ`);
      // the configurations agree (the CLI's says threads 1 as given; the checkpoint embeds it)
      assert.deepEqual({ ...tr.config(), threads: 0 }, { ...cli.config(), threads: 0 });
      assert.deepEqual({ ...tr.config(), threads: 0 }, { ...config, threads: 0 });
      const val = tr.evaluate({ set: 'val' });
      assert.equal(val.n, 100);
      assert.equal(val.acc.toFixed(6), lines[1].val_acc.toFixed(6));
      assert.equal(val.loss.toFixed(6), lines[1].val_loss.toFixed(6));
      const test = tr.evaluate();
      assert.equal(test.acc.toFixed(6), lines[1].test_acc.toFixed(6));
      cli.free();
      tr.free();
    } finally {
      nl.close();
    }
  }
});

test('the schema comes from the module and matches the CLI\'s', async () => {
  const nl = await loadNormLab('st', 1);
  try {
    const schema = nl.schema();
    assert.deepEqual(schema, JSON.parse(normlab(['config', '--schema'])));
    const byName = Object.fromEntries(schema.fields.map((f) => [f.name, f]));
    assert.equal(byName.max_lr.flag, '--max-lr');
    assert.equal(byName.max_lr.min_open, true);
    assert.equal(byName.batch.max, 4096);
    assert.deepEqual(Object.keys(byName.max_lr.defaults), ['bn', 'gn', 'ln']);
    assert.equal(byName.seed.max, '18446744073709551615');
    assert.deepEqual(byName.widths.presets.reference, [16, 32, 16, 24, 32, 32, 16, 32, 32, 32]);
    // every field the full configuration has, and nothing else
    const full = nl.resolveConfig({ norm: 'ln' });
    assert.deepEqual(Object.keys(full).filter((k) => k !== 'format' && k !== 'version'), schema.fields.map((f) => f.name));
    for (const f of schema.fields) {
      if (f.defaults && f.name !== 'threads') assert.deepEqual(full[f.name], f.defaults.ln, f.name);
    }
    // a BigInt seed and the largest seed
    assert.equal(nl.resolveConfig({ seed: 18446744073709551615n }).seed, '18446744073709551615');
  } finally {
    nl.close();
  }
});
