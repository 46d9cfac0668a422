// The multi-threaded Wasm build at 1..16 threads (more than this machine's cores: oversubscribed
// on purpose): the pool really starts 15 workers for 16 threads, every thread count gives the
// weights of the single-threaded build bit for bit, and nothing deadlocks (the test's timeout).
// Also the core's profile through the bindings: sane rows after a few steps.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { makeBatches } from './support_cifar.mjs';
import { bytes, loadNormLab, trainN } from './support_wasm.mjs';

const MODEL = { preset: 'default', norm: 'bn', dropout: 0.05 };
// batch 72 = 9 chunks of 8: fewer chunks than threads from 10 threads on
const SETTINGS = { batch: 72, epochs: 1, seed: 31 };
const STEPS = 2;

function weights(nl, threads) {
  const tr = nl.createTrainer(MODEL, { ...SETTINGS, threads });
  try {
    trainN(tr, STEPS);
    return { params: bytes(tr.params()), bn: bytes(tr.bnState()) };
  } finally {
    tr.free();
  }
}

test('mt at 1..16 threads: the same weights as st, no deadlock', { timeout: 600000 }, async () => {
  const data = makeBatches(2 * 72, 8, 5);
  const st = await loadNormLab('st', 1);
  let ref;
  try {
    st.loadDatasetBatches(data);
    ref = weights(st, 1);
  } finally {
    st.close();
  }
  const nl = await loadNormLab('mt', 16);
  try {
    assert.equal(nl.threads, 16);
    nl.loadDatasetBatches(data);
    // The pool (Module.nlPoolSize = threads - 1 workers) serves a 16-thread trainer in full:
    // while it lives, all 15 workers run its pthreads (internal Emscripten state, checked once).
    const PThread = nl._M.PThread;
    const tr = nl.createTrainer(MODEL, { ...SETTINGS, threads: 16 });
    try {
      if (PThread) assert.equal(PThread.runningWorkers.length, 15, 'pthreads running for a 16-thread trainer');
    } finally {
      tr.free();
    }
    for (let threads = 1; threads <= 16; threads++) {
      const w = weights(nl, threads);
      assert.ok(w.params.equals(ref.params), `${threads} threads: weights differ from st`);
      assert.ok(w.bn.equals(ref.bn), `${threads} threads: BN state differs from st`);
    }
  } finally {
    nl.close();
  }
});

test('profile: per-layer, per-pass seconds of the steps run while it is on', async () => {
  const nl = await loadNormLab('mt', 2);
  try {
    nl.loadDatasetBatches(makeBatches(64, 8, 6));
    const tr = nl.createTrainer(MODEL, { batch: 32, epochs: 1, seed: 3, threads: 2 });
    try {
      trainN(tr, 1);
      nl.profileStart();
      const t0 = performance.now();
      trainN(tr, 1);
      const wall = (performance.now() - t0) / 1000;
      nl.profileStop();
      trainN(tr, 1); // timers off: the table keeps what was measured
      const p = nl.profile();
      assert.deepEqual(p.passes, ['forward', 'bwd-data', 'wgrad', 'norm', 'pool', 'optimizer', 'augment', 'copy', 'other']);
      assert.equal(p.layers.length, 15);
      assert.deepEqual([p.layers[0], p.layers[1], p.layers[13], p.layers[14]], ['C1', 'C2', 'c10', 'step']);
      const at = (layer, pass) => p.seconds[p.layers.indexOf(layer)][p.passes.indexOf(pass)];
      let total = 0;
      for (const row of p.seconds) {
        assert.equal(row.length, 9);
        for (const s of row) {
          assert.ok(Number.isFinite(s) && s >= 0, `seconds ${s}`);
          total += s;
        }
      }
      // every conv pass of a middle layer, the norms and pools, the optimizer and the batch
      for (const [layer, pass] of [['C2', 'forward'], ['C2', 'bwd-data'], ['C2', 'wgrad'], ['C2', 'norm'],
        ['P1', 'pool'], ['step', 'optimizer'], ['step', 'augment']]) {
        assert.ok(at(layer, pass) > 0, `${layer} ${pass} timed`);
      }
      assert.equal(at('P1', 'forward'), 0, 'pools are timed as pool');
      assert.equal(at('step', 'copy'), 0, 'the batch is augmented (the default), not copied');
      // all timed work fits in threads x wall of the one profiled step
      assert.ok(total > 0 && total <= 2 * wall * 1.05 + 0.01, `total ${total} s vs wall ${wall} s`);
      // started again: cleared
      nl.profileStart();
      nl.profileStop();
      assert.ok(nl.profile().seconds.every((row) => row.every((s) => s === 0)));
    } finally {
      tr.free();
    }
  } finally {
    nl.close();
  }
});
