// Trainers are freed whole: five trainers created, trained, evaluated, checkpointed and
// freed one after another in one module leave the Wasm heap at the size the first needed
// (the heap only grows; a leak of a trainer's buffers would grow it run after run).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { makeBatches } from './support_cifar.mjs';
import { loadNormLab } from './support_wasm.mjs';

test('five trainers one after another do not grow the Wasm heap past what one needs', async () => {
  const nl = await loadNormLab('st');
  try {
    nl.loadDatasetBatches(makeBatches(256, 64, 2));
    const heaps = [];
    for (let i = 0; i < 5; i++) {
      const tr = nl.createTrainer({ norm: ['bn', 'gn', 'ln'][i % 3] }, { batch: 32, epochs: 1, seed: 7 + i });
      const p = tr.trainSteps(8);
      assert.equal(p.stepsRun, 8);
      tr.evaluate();
      assert.ok(tr.saveCheckpoint().length > 10000);
      tr.free();
      heaps.push(nl.heapBytes());
    }
    // runs 1..3 are BN, GN, LN (each may need more than the one before); 4 and 5 repeat BN and GN
    assert.deepEqual(heaps.slice(2), Array(3).fill(heaps[2]), `heap after each run: ${heaps.join(', ')}`);
  } finally {
    nl.close();
  }
});
