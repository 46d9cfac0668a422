// The core of the browser tests in Debian's Firefox ESR (WebDriver BiDi through puppeteer-core):
// the page opens cross-origin isolated with the multi-threaded build and the server's data set,
// Compare trains BN, GN and LN and draws the curves, the misclassified grids and the confusion
// matrix, and a reload restores them from IndexedDB; served without COOP/COEP the service worker isolates the page and it trains on the
// built-in sample; without service workers it falls back to the single-threaded build and trains.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  artifactPath, colourPixels, inkPixels, requireWasmBuild, startServer, watchErrors, writeDataset,
} from './support.mjs';
import { launchFirefox } from './support_firefox.mjs';

let ds;
let srv;
let ff;
let page;
let errors;
const cleanup = [];

before(async () => {
  requireWasmBuild();
  ds = writeDataset({ train: 320, test: 128, seed: 13 });
  srv = await startServer(['--data', ds.tgz]);
  ff = await launchFirefox({ viewport: { width: 1280, height: 800 } });
  page = await ff.newPage();
  errors = watchErrors(page);
});

after(async () => {
  for (const f of cleanup.reverse()) await f();
  await ff?.close();
  await srv?.stop();
  ds?.cleanup();
});

const attr = (p, name) => p.evaluate((n) => document.documentElement.dataset[n], name);
const runs = (p) => p.evaluate(() => window.normlab.state.runs.map((r) => ({
  label: r.label, status: r.status, color: r.color, epochs: r.epochs.length, steps: r.globalStep,
  mis: r.finalEval ? r.finalEval.mis.length : 0,
})));

test('Firefox ESR: opens cross-origin isolated with the mt build and the server\'s data set', async (t) => {
  t.diagnostic(`browser: ${ff.version}`);
  assert.match(ff.version, /^firefox\//i);
  await page.goto(`${srv.url}#epochs=1&batch=32&seed=2`);
  await page.waitForFunction(() => document.documentElement.dataset.dataset === 'ready'
    && document.documentElement.dataset.engine, null, { timeout: 60000 });
  assert.equal(await page.evaluate(() => self.crossOriginIsolated), true);
  assert.equal(await page.evaluate(() => typeof SharedArrayBuffer), 'function');
  assert.equal(await attr(page, 'engine'), 'mt');
  assert.ok((await page.evaluate(() => window.normlab.state.engine.threads)) >= 2);
  // SpiderMonkey gets the GEMM tiles with k loops unrolled by 4 (wasm_bindings/normlab.js, engineKernels)
  assert.equal(await page.evaluate(() => window.normlab.state.engine.kernels), 'wasmsimd_unroll4');
  assert.equal(await page.isVisible('#banner-isolation'), false);
  assert.equal(await page.textContent('#count-train'), '320');
  assert.equal(await page.textContent('#count-test'), '128');
  assert.match(await page.textContent('#data-source'), /From the server: cifar-10-binary\.tar\.gz/);
  assert.equal(await attr(page, 'datasetKind'), 'full');
  assert.equal(await page.inputValue('#f-epochs'), '1');
  await page.waitForFunction(() => document.querySelectorAll('#network-body tr').length === 15);
  assert.ok(await inkPixels(page, '#samples') > 20000, 'sample images drawn');
  await page.screenshot({ path: artifactPath('firefox-1280-ready.png') });
  assert.deepEqual(errors, []);
});

test('Firefox ESR: Compare trains BN, GN and LN; curves, misclassified grids, confusion matrix', async () => {
  await page.click('#compare');
  await page.waitForFunction(() => document.documentElement.dataset.training === 'idle'
    && window.normlab.state.runs.length === 3 && window.normlab.state.runs.every((r) => r.status === 'finished'),
  null, { timeout: 240000 });
  const done = await runs(page);
  assert.deepEqual(done.map((r) => [r.label, r.status, r.epochs, r.steps, r.mis]), [
    ['BN', 'finished', 1, 10, 10], ['GN (8 ch/group)', 'finished', 1, 10, 10], ['LN', 'finished', 1, 10, 10]]);
  await new Promise((r) => setTimeout(r, 300));
  for (const r of done) {
    for (const chart of ['#chart-loss', '#chart-acc', '#chart-lr']) {
      assert.ok(await colourPixels(page, chart, r.color) > 10, `${r.label} on ${chart}`);
    }
  }
  const grids = await page.$$eval('#mistakes .mistake-card canvas', (cs) => cs.map((c) => c.getAttribute('data-images')));
  assert.deepEqual(grids, ['10', '10', '10']);
  assert.ok(await inkPixels(page, '#mistakes .mistake-card canvas') > 3000, 'a grid is drawn');
  assert.equal(await page.isVisible('#confusion'), true);
  assert.ok(await inkPixels(page, '#confusion') > 5000, 'confusion matrix drawn');
  assert.equal((await page.$$eval('#results-body tr', (trs) => trs.length)), 3);
  await page.screenshot({ path: artifactPath('firefox-1280-trained.png'), fullPage: true });
  assert.deepEqual(errors, []);
});

test('Firefox ESR: reload restores the finished runs (IndexedDB): table, curves, grids', async () => {
  const before = await runs(page);
  // every run's last epoch (and its evaluation) is stored before the reload
  await page.waitForFunction(() => window.normlab.state.runs.every((r) => r.storedStep === r.globalStep && r.finalEval),
    null, { timeout: 30000 });
  await page.reload();
  await page.waitForFunction(() => document.documentElement.dataset.dataset === 'ready'
    && !window.normlab.state.restoring && window.normlab.state.runs.length === 3, null, { timeout: 60000 });
  const back = await runs(page);
  assert.deepEqual(back.map((r) => [r.label, r.status, r.epochs, r.steps, r.mis]),
    before.map((r) => [r.label, r.status, r.epochs, r.steps, r.mis]));
  await new Promise((r) => setTimeout(r, 300));
  for (const r of back) {
    assert.ok(await colourPixels(page, '#chart-loss', r.color) > 10, `${r.label}: loss curve after the reload`);
    assert.ok(await colourPixels(page, '#chart-acc', r.color) > 10, `${r.label}: accuracy curve after the reload`);
  }
  const grids = await page.$$eval('#mistakes .mistake-card canvas', (cs) => cs.map((c) => c.getAttribute('data-images')));
  assert.deepEqual(grids, ['10', '10', '10']);
  assert.equal((await page.$$eval('#results-body tr', (trs) => trs.length)), 3);
  await page.screenshot({ path: artifactPath('firefox-1280-reloaded.png'), fullPage: true });
  assert.deepEqual(errors, []);
});

test('Firefox ESR: served without COOP/COEP, the service worker isolates the page; the built-in sample loads', async () => {
  const plain = await startServer(['--no-isolation']);
  cleanup.push(() => plain.stop());
  const p = await ff.newPage();
  const errs = watchErrors(p);
  await p.goto(`${plain.url}#norm=gn&epochs=1`);
  await p.waitForFunction(() => document.documentElement.dataset.dataset === 'ready'
    && document.documentElement.dataset.engine, null, { timeout: 90000 });
  assert.equal(await p.evaluate(() => self.crossOriginIsolated), true);
  assert.equal(await p.evaluate(() => !!navigator.serviceWorker.controller), true);
  assert.equal(await attr(p, 'engine'), 'mt');
  assert.equal(await attr(p, 'datasetKind'), 'sample');
  assert.equal(await p.textContent('#count-train'), '2,000');
  assert.equal(await p.textContent('#count-test'), '500');
  assert.match(await p.textContent('#data-source'), /^Built-in sample of CIFAR-10/);
  assert.deepEqual(errs, []);
  await p.close();
});

test('Firefox ESR without service workers, not isolated: the single-threaded fallback trains', async () => {
  const plain = await startServer(['--no-isolation', '--data', ds.tgz]);
  cleanup.push(() => plain.stop());
  const noSw = await launchFirefox({ prefs: { 'dom.serviceWorkers.enabled': false } });
  cleanup.push(() => noSw.close());
  const p = await noSw.newPage();
  const errs = watchErrors(p);
  await p.goto(`${plain.url}#norm=ln&epochs=1&batch=32`);
  await p.waitForFunction(() => document.documentElement.dataset.dataset === 'ready'
    && document.documentElement.dataset.engine, null, { timeout: 60000 });
  assert.equal(await p.evaluate(() => self.crossOriginIsolated), false);
  assert.equal(await attr(p, 'engine'), 'st');
  assert.equal(await p.isVisible('#banner-isolation'), true);
  assert.equal(await p.inputValue('#f-threads'), '1');
  await p.click('#start');
  await p.waitForFunction(() => document.documentElement.dataset.training === 'idle'
    && window.normlab.state.runs[0]?.status === 'finished', null, { timeout: 120000 });
  const [run] = await runs(p);
  assert.deepEqual([run.label, run.epochs, run.steps, run.mis], ['LN', 1, 10, 10]);
  assert.ok(await colourPixels(p, '#chart-loss', run.color) > 10, 'loss curve drawn');
  await p.screenshot({ path: artifactPath('firefox-1280-fallback.png') });
  assert.deepEqual(errs, []);
});
