// Quick mode (issue 12 part 4): the "Training data" setting trains every variant of a
// Compare on the same balanced share of the training images; it is in the URL and in the
// results table. Also: picking a norm keeps the values the user typed, and each control
// carries the engine's help text as its tooltip.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { openPlayground } from './support.mjs';

let ds;
let srv;
let browser;
let page;
let errors;
let env;

before(async () => {
  env = await openPlayground({ train: 480, test: 64, seed: 4 });
  ({ ds, srv, browser, page, errors } = env);
});

after(() => env?.close());

test('help texts of the engine are the controls\' tooltips; a norm switch keeps typed values', async () => {
  await page.goto(`${srv.url}#epochs=1&batch=16&frac=0.25`);
  await page.waitForFunction(() => document.documentElement.dataset.dataset === 'ready', null, { timeout: 30000 });
  assert.match(await page.getAttribute('#f-maxLr', 'title'), /^Peak learning rate/);
  assert.match(await page.getAttribute('#f-trainFraction', 'title'), /share of each class/);
  assert.match(await page.getAttribute('[data-field="norm"] .segmented', 'title'), /BatchNorm/);
  assert.equal(await page.inputValue('#f-trainFraction'), '0.25');
  await page.click('label:has(input[name="norm"][value="gn"])');
  await page.click('label:has(input[name="norm"][value="bn"])');
  assert.equal(await page.inputValue('#f-epochs'), '1');
  assert.equal(await page.inputValue('#f-trainFraction'), '0.25');
  assert.equal(await page.evaluate(() => location.hash), '#epochs=1&batch=16&frac=0.25');
});

test('a Compare at 25% trains every variant on a quarter of the training images', async () => {
  await page.click('#compare');
  await page.waitForFunction(() => document.documentElement.dataset.training === 'idle'
    && window.normlab.state.runs.length === 3, null, { timeout: 120000 });
  const runs = await page.evaluate(() => window.normlab.state.runs.map((r) => ({
    status: r.status, spe: r.stepsPerEpoch, frac: r.settings.trainFraction,
  })));
  // 480 images: a quarter of each class is ~120 images (a class's share is rounded down), so
  // 6 or 7 steps of 16 instead of the 30 of the full set; the same for every variant
  for (const r of runs) {
    assert.equal(r.status, 'finished');
    assert.equal(r.frac, 0.25);
    assert.ok(r.spe >= 6 && r.spe <= 7, `steps per epoch ${r.spe}`);
  }
  assert.equal(new Set(runs.map((r) => r.spe)).size, 1, 'the same images for every variant');
  const rows = await page.$$eval('#results-body tr', (trs) => trs.map((tr) => tr.textContent));
  assert.equal(rows.length, 3);
  for (const r of rows) assert.match(r, /25%\u00a0of\u00a0the\u00a0data/);
  assert.deepEqual(errors, []);
});
