// Served without COOP/COEP (tools/serve.mjs --no-isolation) to a browser without service
// workers (so web/coi-serviceworker.js cannot add the headers): no SharedArrayBuffer, so the
// page says so, uses the single-threaded build, allows one thread, and still trains.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { artifactPath, inkPixels, launch, openPlayground, startServer } from './support.mjs';

let ds;
let srv;
let browser;
let page;
let errors;
let env;

before(async () => {
  env = await openPlayground({ train: 256, test: 128, seed: 5, serverArgs: ['--no-isolation'], launch: { serviceWorkers: 'block' } });
  ({ ds, srv, browser, page, errors } = env);
});

after(() => env?.close());

test('not isolated: the single-threaded build, said visibly', async () => {
  await page.goto(`${srv.url}#norm=gn&groups=4&epochs=1&batch=32`);
  await page.waitForFunction(() => document.documentElement.dataset.dataset === 'ready', null, { timeout: 30000 });
  assert.equal(await page.evaluate(() => self.crossOriginIsolated), false);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.engine), 'st');
  // the service worker that would isolate the page could not register, and nothing broke
  assert.equal(await page.evaluate(() => document.documentElement.dataset.coi), 'failed');
  assert.equal(await page.isVisible('#banner-isolation'), true);
  assert.match(await page.textContent('#banner-isolation'), /single-threaded build/);
  assert.match(await page.textContent('#engine-badge'), /single-threaded/);
  assert.equal(await page.inputValue('#f-threads'), '1');
  await page.fill('#f-threads', '2');
  assert.match(await page.textContent('[data-msg="threads"]'), /Only 1 thread here/);
  assert.equal(await page.isDisabled('#start'), true);
  await page.fill('#f-threads', '1');
  assert.equal(await page.isDisabled('#start'), false);
  await page.screenshot({ path: artifactPath('fallback-1280.png') });
});

test('not isolated: training still works', async () => {
  await page.click('#start');
  await page.waitForFunction(() => document.documentElement.dataset.training === 'idle' && window.normlab.state.runs[0]?.status === 'finished', null, { timeout: 60000 });
  const run = await page.evaluate(() => {
    const r = window.normlab.state.runs[0];
    return { label: r.label, epochs: r.epochs.length, steps: r.globalStep };
  });
  assert.deepEqual(run, { label: 'GN (4 groups)', epochs: 1, steps: 8 });
  await page.waitForTimeout(200);
  assert.ok(await inkPixels(page, '#chart-loss') > 3000);
  assert.equal(await page.getAttribute('#mistakes canvas', 'data-images'), '10');
  await page.screenshot({ path: artifactPath('fallback-1280-trained.png') });
  assert.deepEqual(errors, []);
});

test('Stop ends a long run early and keeps what it trained', async () => {
  await page.click('label:has(input[name="norm"][value="bn"])');
  await page.fill('#f-epochs', '30');
  assert.match(await page.textContent('[data-msg="epochs"]'), /long time/);
  await page.click('#start');
  assert.equal(await page.isVisible('#run-error'), false);
  await page.waitForFunction(() => (window.normlab.state.runs[1]?.globalStep || 0) >= 3, null, { timeout: 30000 });
  await page.click('#stop');
  await page.waitForFunction(() => document.documentElement.dataset.training === 'idle', null, { timeout: 30000 });
  const stopped = await page.evaluate(() => window.normlab.state.runs[1]);
  assert.equal(stopped.status, 'stopped');
  assert.ok(stopped.globalStep < 30 * 8, `stopped early at step ${stopped.globalStep}`);
  assert.equal(await page.textContent('#progress-title'), 'Training stopped');
  assert.match(await page.textContent('#results-body tr:nth-child(2)'), /stopped/);
  assert.equal(await page.isDisabled('#results-body tr:nth-child(2) td.actions button:first-child'), false, 'its checkpoint can be saved');
  assert.equal(await page.isDisabled('#start'), false);
  assert.deepEqual(errors, []);
});

test('without the Wasm build the page says how to build it', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'normlab-nowasm-'));
  const s = await startServer(['--wasm', empty]);
  const p = await browser.context.newPage();
  try {
    await p.goto(s.url);
    await p.waitForSelector('#banner-error:not([hidden])', { timeout: 30000 });
    assert.match(await p.textContent('#banner-error'), /wasm\/normlab\.js.*could not be loaded.*wasm_bindings\/build\.sh/);
    assert.equal(await p.textContent('#engine-badge'), 'Engine failed');
    assert.equal(await p.isDisabled('#start'), true);
    assert.match(await p.textContent('#run-hint'), /engine could not start/);
    await p.screenshot({ path: artifactPath('fallback-1280-no-wasm.png') });
  } finally {
    await p.close();
    await s.stop();
    rmSync(empty, { recursive: true, force: true });
  }
});
