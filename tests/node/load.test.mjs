// (a) Both Wasm builds load in Node and answer; the report matches the core's layout.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loadNormLab } from './support_wasm.mjs';

for (const [variant, threads] of [['st', 1], ['mt', 2]]) {
  test(`${variant} build loads and reports the reference net`, async () => {
    const nl = await loadNormLab(variant, threads);
    try {
      assert.equal(nl.variant, variant);
      assert.equal(nl.threads, threads);
      const rep = nl.report({ preset: 'reference', norm: 'bn' });
      assert.equal(rep.layers.length, 14);
      assert.deepEqual(rep.layers.map((l) => l.name),
        ['C1', 'C2', 'c3', 'P1', 'C3', 'C4', 'C5', 'c6', 'P2', 'C7', 'C8', 'C9', 'GAP', 'c10']);
      assert.equal(rep.total, rep.layers.reduce((s, l) => s + l.params, 0));
      assert.deepEqual(rep.layers[0].out, { c: 16, h: 30, w: 30 });
      assert.equal(rep.layers[0].rf.r, 3);
      assert.deepEqual(rep.layers[13].out, { c: 10, h: 1, w: 1 });

      const tr = nl.createTrainer({ preset: 'reference', norm: 'bn' }, { batch: 8 });
      assert.equal(tr.paramCount, rep.total);
      assert.deepEqual(tr.report(), rep);
      const cfg = tr.config();
      assert.equal(cfg.threads, threads);
      assert.equal(cfg.batch, 8);
      assert.equal(cfg.norm, 'bn');
      assert.equal(cfg.preset, 'reference');
      assert.equal(cfg.format, 'normlab-config');
      // the settings read back are accepted as they are
      assert.deepEqual(nl.resolveConfig(cfg), cfg);
      assert.deepEqual(nl.resolveSettings({ preset: 'reference', norm: 'bn' }, { batch: 8, threads }), cfg);
      tr.free();
    } finally {
      nl.close();
    }
  });
}
