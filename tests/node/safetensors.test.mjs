// PyTorch interchange through the Wasm build: safetensors written by PyTorch load in Wasm with
// the same logits; safetensors exported from Wasm load in PyTorch (strict) with the same
// logits; an export -> import round trip in Wasm is exact; bad files give clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ROOT, loadNormLab, NormLabError } from './support_wasm.mjs';
import { makeBatches } from './support_cifar.mjs';

const PY = '/usr/bin/python3';
const SCRIPT = join(ROOT, 'tests', 'node', 'support_torch.py');
const torchOk = spawnSync(PY, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

function maxDiff(a, b) {
  let worst = 0, scale = 1;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return { worst, scale };
}

const f32 = (buf) => new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));

test('PyTorch -> Wasm and Wasm -> PyTorch give the same logits (bn, gn, ln)', { skip: !torchOk && 'no torch' }, async () => {
  const nl = await loadNormLab('st', 1);
  const dir = mkdtempSync(join(tmpdir(), 'nl-st-'));
  try {
    for (const norm of ['bn', 'gn', 'ln']) {
      execFileSync(PY, [SCRIPT, 'make', norm, dir]);
      const images = readFileSync(join(dir, 'images.bin'));
      const torchLogits = f32(readFileSync(join(dir, 'logits.f32')));
      const t = nl.trainerFromSafetensors(readFileSync(join(dir, 'model.safetensors')), { batch: 16 });
      assert.equal(t.modelJson().norm, norm);
      const wasmLogits = t.predict(images);
      const { worst, scale } = maxDiff(wasmLogits, torchLogits);
      console.log(`${norm}: PyTorch -> Wasm max |logit diff| ${worst.toExponential(2)} (largest logit ${scale.toFixed(3)})`);
      assert.ok(worst <= 1e-5 * scale, `${norm}: logits differ by ${worst}`);

      // and back: the Wasm export loads strictly in PyTorch with the same logits
      writeFileSync(join(dir, 'back.safetensors'), t.exportSafetensors());
      execFileSync(PY, [SCRIPT, 'logits', join(dir, 'back.safetensors'), join(dir, 'images.bin'), join(dir, 'back.f32')]);
      const back = f32(readFileSync(join(dir, 'back.f32')));
      const d2 = maxDiff(wasmLogits, back);
      console.log(`${norm}: Wasm -> PyTorch max |logit diff| ${d2.worst.toExponential(2)}`);
      assert.ok(d2.worst <= 1e-5 * d2.scale);
      t.free();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    nl.close();
  }
});

test('export -> import in Wasm is exact, and bad safetensors are rejected clearly', async () => {
  const nl = await loadNormLab('st', 1);
  try {
    const batches = makeBatches(64, 32, 4);
    nl.loadDatasetBatches(batches);
    const t = nl.createTrainer({ norm: 'bn' }, { batch: 16, epochs: 1, seed: 3 });
    t.trainSteps(2);
    const bytes = t.exportSafetensors();
    const u = nl.trainerFromSafetensors(bytes);
    const images = nl.images(0, 4, 'test');
    assert.deepEqual(u.predict(images), t.predict(images));
    assert.deepEqual(u.params(), t.params());

    const expectError = (buf, pattern) => {
      assert.throws(() => nl.trainerFromSafetensors(buf), (e) => e instanceof NormLabError && pattern.test(e.message),
        `expected ${pattern}`);
    };
    expectError(bytes.subarray(0, 5), /safetensors/);
    const big = bytes.slice();
    new DataView(big.buffer).setUint32(0, 0x7fffffff, true);
    expectError(big, /header length/);
    const renamed = bytes.slice();
    const at = Buffer.from(renamed).indexOf('c10.weight');
    renamed[at] = 'x'.charCodeAt(0);
    expectError(renamed, /x10\.weight|c10\.weight/);
    expectError(new Uint8Array(100).fill(7), /safetensors/);
    // still usable after the errors
    assert.equal(u.predict(images).length, 40);
    t.free();
    u.free();
  } finally {
    nl.close();
  }
});
