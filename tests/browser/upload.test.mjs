// The data set given by the user (no --data on the server): a damaged archive and wrong
// files give clear messages; the official .tar.gz dropped on the page loads, is kept in
// IndexedDB across a reload, and can be forgotten; the six .bin files load through the file
// input, and a short LN run trains on them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { artifactPath, colourPixels, inkPixels, openPlayground } from './support.mjs';

let ds;
let srv;
let browser;
let page;
let errors;
let env;

before(async () => {
  env = await openPlayground({ train: 320, test: 128, seed: 11, serveData: false });
  ({ ds, srv, browser, page, errors } = env);
  // A host without the built-in sample (its assets/ holds no sample manifest): the page has no
  // data until the user gives it (the sample itself: static.test.mjs). Not a 404, which
  // Chromium would log as a console error.
  await page.route('**/assets/**', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: '{}' }));
});

after(() => env?.close());

const dataState = () => page.evaluate(() => document.documentElement.dataset.dataset);

test('without a data set the page asks for one and cannot train', async () => {
  await page.goto(`${srv.url}#norm=ln&epochs=1&batch=32`);
  await page.waitForFunction(() => document.documentElement.dataset.dataset === 'none', null, { timeout: 30000 });
  assert.equal(await page.isVisible('#dropzone'), true);
  assert.match(await page.textContent('#dropzone'), /cifar-10-binary\.tar\.gz/);
  assert.equal(await page.isDisabled('#start'), true);
  assert.equal(await page.isDisabled('#compare'), true);
  assert.match(await page.textContent('#run-hint'), /Load the data set/);
  assert.equal(await page.textContent('#data-badge'), 'No data set');
  // the network panel works without data
  await page.waitForFunction(() => document.querySelector('#network-body').textContent.includes('LN · 1 group'));
  await page.screenshot({ path: artifactPath('upload-1280-empty.png') });
});

test('a damaged archive and wrong files give clear messages', async () => {
  await page.setInputFiles('#data-input', ds.damaged);
  await page.waitForSelector('#data-error:not([hidden])', { timeout: 30000 });
  const msg = await page.textContent('#data-error');
  assert.match(msg, /^cifar-10-binary\.tar\.gz: the file is (damaged|incomplete) \(.+\).*Download it again\. Use the binary version/);
  assert.equal(await dataState(), 'none');
  assert.equal(await page.isVisible('#dropzone'), true);
  assert.equal(await page.isDisabled('#start'), true);
  await page.screenshot({ path: artifactPath('upload-1280-damaged.png') });

  await page.setInputFiles('#data-input', { name: 'holiday.jpg', mimeType: 'image/jpeg', buffer: Buffer.alloc(2000, 1) });
  await page.waitForFunction(() => /holiday\.jpg: not CIFAR-10/.test(document.querySelector('#data-error').textContent));
  await page.setInputFiles('#data-input', ds.bins.slice(0, 3));
  await page.waitForFunction(() => /Missing data_batch_4\.bin, data_batch_5\.bin, test_batch\.bin/.test(document.querySelector('#data-error').textContent));
  // random bytes named like the archive
  await page.setInputFiles('#data-input', { name: 'cifar-10-binary.tar.gz', mimeType: 'application/gzip', buffer: Buffer.alloc(4096, 0x42) });
  await page.waitForFunction(() => /not a \.tar\.gz or \.tar archive/.test(document.querySelector('#data-error').textContent), null, { timeout: 30000 });
  assert.equal(await dataState(), 'none');
  assert.deepEqual(errors, []);
});

test('dropping the .tar.gz loads it and keeps it in the browser', async () => {
  const b64 = readFileSync(ds.tgz).toString('base64');
  await page.evaluate((data) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'cifar-10-binary.tar.gz', { type: 'application/gzip' }));
    const zone = document.querySelector('#dropzone');
    for (const type of ['dragenter', 'dragover', 'drop']) {
      zone.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
    }
  }, b64);
  await page.waitForFunction(() => document.documentElement.dataset.dataset === 'ready', null, { timeout: 30000 });
  assert.equal(await page.isVisible('#data-error'), false);
  assert.equal(await page.isVisible('#drop-overlay'), false);
  assert.equal(await page.textContent('#count-train'), '320');
  assert.equal(await page.textContent('#count-test'), '128');
  assert.match(await page.textContent('#data-source'), /Loaded cifar-10-binary\.tar\.gz .*kept in this browser/);
  assert.equal(await page.isDisabled('#start'), false);
  assert.ok(await inkPixels(page, '#samples') > 10000);

  await page.reload();
  await page.waitForFunction(() => document.documentElement.dataset.dataset === 'ready', null, { timeout: 30000 });
  assert.match(await page.textContent('#data-source'), /Saved in this browser: cifar-10-binary\.tar\.gz/);
  assert.equal(await page.textContent('#count-train'), '320');
  assert.equal(await page.isVisible('#data-forget'), true);
  await page.screenshot({ path: artifactPath('upload-1280-saved.png') });
});

test('"Forget data set" removes it, also after a reload', async () => {
  await page.click('#data-forget');
  await page.waitForFunction(() => document.documentElement.dataset.dataset === 'none', null, { timeout: 30000 });
  assert.equal(await page.isVisible('#dropzone'), true);
  assert.equal(await page.isDisabled('#start'), true);
  await page.reload();
  await page.waitForFunction(() => document.documentElement.dataset.dataset === 'none', null, { timeout: 30000 });
  assert.equal(await page.isVisible('#dropzone'), true);
});

test('the six .bin files through the file input; a short LN run trains', async () => {
  await page.setInputFiles('#data-input', ds.bins.slice().reverse());
  await page.waitForFunction(() => document.documentElement.dataset.dataset === 'ready', null, { timeout: 30000 });
  assert.equal(await page.textContent('#count-train'), '320');
  assert.equal(await page.textContent('#start'), 'Train LN');
  await page.click('#start');
  await page.waitForFunction(() => document.documentElement.dataset.training === 'idle' && window.normlab.state.runs[0]?.status === 'finished', null, { timeout: 60000 });
  const run = await page.evaluate(() => {
    const r = window.normlab.state.runs[0];
    return { label: r.label, epochs: r.epochs.length, steps: r.globalStep, mis: r.finalEval.mis.length, color: r.color };
  });
  assert.deepEqual({ ...run, color: undefined }, { label: 'LN', epochs: 1, steps: 10, mis: 10, color: undefined });
  await page.waitForTimeout(200);
  assert.ok(await colourPixels(page, '#chart-loss', run.color) > 30, 'loss curve drawn');
  assert.ok(await colourPixels(page, '#chart-acc', run.color) > 10, 'accuracy points drawn');
  assert.equal(await page.getAttribute('#mistakes canvas', 'data-images'), '10');
  await page.screenshot({ path: artifactPath('upload-1280-trained.png'), fullPage: true });
  assert.deepEqual(errors, []);
});
