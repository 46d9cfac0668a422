// Five runs one after another in one page do not grow the Wasm heap past what one run
// needs: each trainer is freed at its end (the worker reports the heap size, which only
// ever grows, with runEnd; a leak of a trainer's buffers would grow it run after run).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launch, requireWasmBuild, startServer, watchErrors, writeDataset } from './support.mjs';

// 320 / 16 = 20 steps per run
const HASH = '#epochs=1&batch=16&seed=3';

let ds;
let srv;
let browser;

before(async () => {
  requireWasmBuild();
  ds = writeDataset({ train: 320, test: 64, seed: 13 });
  srv = await startServer(['--data', ds.tgz]);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await srv?.stop();
  ds?.cleanup();
});

test('five runs one after another in one page do not grow the Wasm heap past what one run needs', async () => {
  const page = await browser.context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${srv.url}${HASH}`);
  await page.waitForFunction(() => document.documentElement.dataset.dataset === 'ready' && !window.normlab.state.restoring, null, { timeout: 60000 });
  const heaps = [];
  for (let i = 0; i < 5; i++) {
    await page.click('#start');
    await page.waitForFunction((n) => window.normlab.state.runs.length === n
      && document.documentElement.dataset.training === 'idle', i + 1, { timeout: 120000 });
    const r = await page.evaluate((k) => {
      const run = window.normlab.state.runs[k];
      return { status: run.status, heapBytes: run.heapBytes };
    }, i);
    assert.equal(r.status, 'finished');
    assert.ok(Number.isInteger(r.heapBytes) && r.heapBytes > 1 << 20, `heap size reported: ${r.heapBytes}`);
    heaps.push(r.heapBytes);
  }
  assert.deepEqual(heaps, Array(5).fill(heaps[0]), `heap after each run: ${heaps.join(', ')}`);
  assert.deepEqual(errors, []);
  await page.close();
});
