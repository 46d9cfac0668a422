// The committed CIFAR-10 sample (assets/, made by tools/make_sample.py): its manifest matches
// the archive, the archive has the official member names, and the core's loader (the page's
// Wasm module) reads it: 2,000 training and 500 test images, balanced per class.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';

import { ROOT, loadNormLab } from './support_wasm.mjs';

const ASSETS = join(ROOT, 'assets');
const manifest = JSON.parse(readFileSync(join(ASSETS, 'cifar-10-sample.json'), 'utf8'));
const archive = readFileSync(join(ASSETS, manifest.file));

/** [{name, size}] of the regular files of a tar. */
function tarFiles(tar) {
  const out = [];
  for (let p = 0; p + 512 <= tar.length;) {
    const h = tar.subarray(p, p + 512);
    if (h.every((b) => b === 0)) break;
    const name = h.subarray(0, 100).toString('latin1').replace(/\0.*$/s, '');
    const size = parseInt(h.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
    if (String.fromCharCode(h[156]) === '0' || h[156] === 0) out.push({ name, size });
    p += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

test('the manifest describes the archive, which stays under 8 MB', () => {
  assert.equal(manifest.bytes, archive.length);
  assert.equal(statSync(join(ASSETS, manifest.file)).size, archive.length);
  assert.equal(createHash('sha256').update(archive).digest('hex'), manifest.sha256);
  assert.ok(archive.length <= 8 * 1000 * 1000, `${archive.length} bytes`);
  assert.equal(manifest.train, 10 * manifest.trainPerClass);
  assert.equal(manifest.test, 10 * manifest.testPerClass);
});

test('the archive has the official layout with smaller batch files', () => {
  const files = tarFiles(gunzipSync(archive));
  const names = files.map((f) => f.name).sort();
  assert.deepEqual(names, ['batches.meta.txt', 'data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin',
    'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'].map((n) => `cifar-10-batches-bin/${n}`));
  for (const f of files) {
    const base = f.name.split('/').pop();
    if (base.endsWith('.bin')) assert.equal(f.size, manifest.batches[base] * 3073, base);
  }
});

test('the core loads it: balanced classes, the standard class names', async () => {
  const nl = await loadNormLab('st');
  try {
    const info = await nl.loadDatasetArchive(new Uint8Array(archive));
    assert.equal(info.train, manifest.train);
    assert.equal(info.test, manifest.test);
    assert.deepEqual(info.classNames.slice(0, 3), ['airplane', 'automobile', 'bird']);
    for (const [set, per] of [['train', manifest.trainPerClass], ['test', manifest.testPerClass]]) {
      const counts = new Array(10).fill(0);
      for (const l of nl.labels(set)) counts[l]++;
      assert.deepEqual(counts, new Array(10).fill(per), `${set} per class`);
    }
  } finally {
    nl.close();
  }
});
