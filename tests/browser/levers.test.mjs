// The model levers of issue 15 in the page: the norm / ReLU order, weight standardisation and
// zero-init skips are form fields from the engine's settings table; they come from a shared
// link, go into the run's model and the network table, and zero-init skips under norm -> ReLU
// is refused on its field with the core's reason.
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
  env = await openPlayground({ train: 480, test: 64, seed: 5 });
  ({ ds, srv, browser, page, errors } = env);
});

after(() => env?.close());

test('a link with the levers fills the form; the run and the network table use them', async () => {
  await page.goto(`${srv.url}#norm=gn&order=relu_norm&ws=1&zskip=1&epochs=1&batch=16&frac=0.1`);
  await page.waitForFunction(() => document.documentElement.dataset.dataset === 'ready', null, { timeout: 30000 });
  assert.equal(await page.inputValue('#f-order'), 'relu_norm');
  assert.equal(await page.isChecked('input[name="weightStd"]'), true);
  assert.equal(await page.isChecked('input[name="zeroInitSkip"]'), true);
  assert.ok(await page.isVisible('#f-order'));
  assert.match(await page.getAttribute('input[name="weightStd"]', 'title'), /^Weight standardisation/);
  // the network table shows ReLU before the norm
  await page.waitForFunction(() => /conv3x3\+relu\+gn/.test(document.querySelector('#network-body')?.textContent || ''),
    null, { timeout: 10000 });
  // norm -> ReLU with zero-init skips: refused on that field, Train disabled
  await page.selectOption('#f-order', 'norm_relu');
  assert.match(await page.textContent('[data-msg="zeroInitSkip"]'), /Needs order ReLU → norm/);
  assert.equal(await page.isDisabled('#start'), true);
  await page.selectOption('#f-order', 'relu_norm');
  assert.equal(await page.textContent('[data-msg="zeroInitSkip"]'), '');
  // order relu_norm and weight standardisation are GN's defaults (issue 15): the link keeps only what differs
  assert.equal(await page.evaluate(() => location.hash), '#norm=gn&zskip=1&epochs=1&batch=16&frac=0.1');
  await page.click('#start');
  await page.waitForFunction(() => document.documentElement.dataset.training === 'idle'
    && window.normlab.state.runs.length === 1 && window.normlab.state.runs[0].status === 'finished', null,
  { timeout: 120000 });
  const model = await page.evaluate(() => window.normlab.state.runs[0].model);
  // a run's model names a lever only when it differs from the norm's defaults
  assert.equal(model.order ?? 'relu_norm', 'relu_norm');
  assert.equal(model.weightStd ?? true, true);
  assert.equal(model.zeroInitSkip, true);
  assert.deepEqual(errors, []);
});
