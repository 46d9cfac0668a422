// The two SIMD128 kernel sets of the Wasm build: "wasmsimd" (what V8 runs fastest) and
// "wasmsimd_unroll4" (the same GEMM tiles with k loops unrolled by 4, what the page picks in
// Firefox): the wrapper's engine choice, the same weights bit for bit, and a clear error for
// an unknown name.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { engineKernels } from '../../wasm_bindings/normlab.js';
import { makeBatches } from './support_cifar.mjs';
import { bytes, loadNormLab, trainN } from './support_wasm.mjs';

const MODEL = { preset: 'default', norm: 'gn', dropout: 0.05 };
const SETTINGS = { batch: 24, epochs: 1, seed: 5 };

async function weights(kernels) {
  const nl = await loadNormLab('st', 1, { kernels });
  try {
    assert.equal(nl.kernels, kernels);
    nl.loadDatasetBatches(makeBatches(72, 8, 3));
    const tr = nl.createTrainer(MODEL, SETTINGS);
    try {
      trainN(tr, 3);
      return { params: bytes(tr.params()), loss: tr.evaluate().loss };
    } finally {
      tr.free();
    }
  } finally {
    nl.close();
  }
}

test('auto picks wasmsimd in Node (V8) and wasmsimd_unroll4 in Firefox', async () => {
  assert.equal(engineKernels(), 'wasmsimd');
  const nl = await loadNormLab('st', 1);
  try {
    assert.equal(nl.kernels, 'wasmsimd');
  } finally {
    nl.close();
  }
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  const ua = (s) => Object.defineProperty(globalThis, 'navigator', { value: { userAgent: s }, configurable: true });
  try {
    ua('Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0');
    assert.equal(engineKernels(), 'wasmsimd_unroll4');
    ua('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36');
    assert.equal(engineKernels(), 'wasmsimd');
  } finally {
    if (saved) Object.defineProperty(globalThis, 'navigator', saved);
    else delete globalThis.navigator;
  }
});

test('wasmsimd and wasmsimd_unroll4 train to the same weights, bit for bit', async () => {
  const a = await weights('wasmsimd');
  const b = await weights('wasmsimd_unroll4');
  assert.ok(a.params.equals(b.params), 'weights differ between the kernel sets');
  assert.equal(a.loss, b.loss);
});

test('an unknown kernel set is refused with the names that exist', async () => {
  await assert.rejects(loadNormLab('st', 1, { kernels: 'avx9000' }), /unknown kernel set 'avx9000' \(available: .*wasmsimd_unroll4/);
});
