// Nothing lost, train on (issue 12): runs are kept in IndexedDB as they train; a reload
// restores the table, curves, grids and confusion matrix; a run cut short by a reload
// resumes from its last saved epoch and ends with the weights of an uninterrupted run, bit
// for bit; a stopped run and a loaded checkpoint continue to the same weights; a checkpoint
// loaded before the data set is evaluated when the data arrives; runs can be deleted and
// "Clear" clears, also after a reload; storage errors are shown.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { artifactPath, colourPixels, inkPixels, openPlayground, startServer, watchErrors } from './support.mjs';

let ds;
let srv;
let browser;
let page;
let errors;
let env;

// 480 / 16 = 30 steps per epoch, 3 epochs
const HASH = '#epochs=3&batch=16&seed=5';

before(async () => {
  env = await openPlayground({ train: 480, test: 128, seed: 9, viewport: { width: 1280, height: 900 } });
  ({ ds, srv, browser, page, errors } = env);
});

after(() => env?.close());

const runs = (p = page) => p.evaluate(() => window.normlab.state.runs.map((r) => ({
  id: r.id, label: r.label, status: r.status, color: r.color, epochs: r.epochs.length, globalStep: r.globalStep,
  epochsDone: r.epochsDone, acc: r.finalEval ? r.finalEval.acc : null, mis: r.finalEval ? r.finalEval.mis.length : 0,
  source: r.source, storedStep: r.storedStep || 0, batches: r.batches.length,
})));
const idle = (p = page) => p.waitForFunction(() => document.documentElement.dataset.training === 'idle', null, { timeout: 60000 });
const ready = async (p = page) => {
  await p.waitForFunction(() => document.documentElement.dataset.dataset === 'ready' && !window.normlab.state.restoring, null, { timeout: 30000 });
};
const row = (n) => `#results-body tr:nth-child(${n})`;

async function download(selector, name) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  const path = artifactPath(`saved-${name}`);
  await dl.saveAs(path);
  return { path, bytes: readFileSync(path) };
}

/** Reloads (accepting the leave-page question when one comes) and waits for the restored page. */
async function reload() {
  const asked = [];
  const onDialog = (d) => {
    asked.push(d.type());
    d.accept();
  };
  page.on('dialog', onDialog);
  await page.reload();
  page.off('dialog', onDialog);
  await ready();
  return asked;
}

test('a finished run is still there after a reload: table, curves, grids, confusion', async () => {
  await page.goto(`${srv.url}${HASH}`);
  await ready();
  await page.click('#start');
  await idle();
  const trained = (await runs())[0];
  assert.equal(trained.status, 'finished');
  await page.waitForFunction(() => window.normlab.state.runs[0].storedStep === 90);
  assert.deepEqual(await reload(), [], 'an idle page leaves without asking');
  const back = (await runs())[0];
  assert.deepEqual({ ...back, storedStep: 0 }, { ...trained, storedStep: 0 });
  await page.waitForTimeout(300);
  assert.ok(await colourPixels(page, '#chart-loss', back.color) > 30, 'loss curve drawn');
  assert.ok(await colourPixels(page, '#chart-acc', back.color) > 10, 'accuracy drawn');
  assert.equal(await page.getAttribute('#mistakes canvas', 'data-images'), '10');
  assert.ok(await inkPixels(page, '#confusion') > 5000, 'confusion matrix drawn');
  assert.match(await page.textContent(row(1)), /BN.*%.*3 \/ 3/);
  await page.screenshot({ path: artifactPath('saved-1280-restored.png'), fullPage: true });
  assert.deepEqual(errors, []);
});

test('a run cut short by a reload resumes to the weights of an uninterrupted run', async () => {
  await page.click('#start');
  // after its first epoch is saved, pause it in the second and leave the page
  await page.waitForFunction(() => window.normlab.state.runs[1]?.storedStep === 30, null, { timeout: 30000 });
  await page.click('#pause');
  await page.waitForFunction(() => document.documentElement.dataset.training === 'paused');
  assert.deepEqual(await reload(), ['beforeunload'], 'leaving a page that trains asks first');
  let r = (await runs())[1];
  assert.equal(r.status, 'interrupted');
  assert.equal(r.epochsDone, 1);
  assert.equal(r.globalStep, 30);
  assert.equal(r.batches, 30, 'the curve goes back to the saved epoch');
  assert.match(await page.textContent(row(2)), /interrupted.*1 \/ 3/);
  await page.locator('#results-panel').screenshot({ path: artifactPath('saved-1280-interrupted.png') });
  await page.click(`${row(2)} button[data-next="resume"]`);
  await idle();
  r = (await runs())[1];
  assert.equal(r.status, 'finished');
  assert.equal(r.epochs, 3);
  assert.equal(r.batches, 90);
  // the same settings once more, without interruption
  await page.click('#start');
  await idle();
  const straight = (await runs())[2];
  assert.equal(straight.status, 'finished');
  const a = await download(`${row(2)} td.actions button:has-text("Checkpoint")`, 'resumed.ckpt');
  const b = await download(`${row(3)} td.actions button:has-text("Checkpoint")`, 'straight.ckpt');
  assert.ok(a.bytes.length > 100000);
  assert.ok(a.bytes.equals(b.bytes), 'resumed and uninterrupted runs end with the same checkpoint');
  assert.equal(r.acc, straight.acc);
  assert.deepEqual(errors, []);
});

test('Continue: a stopped run and a loaded checkpoint train on to the same weights', async () => {
  await page.click('#start');
  // stop it in its second epoch (of 3)
  await page.waitForFunction(() => (window.normlab.state.runs[3]?.globalStep || 0) > 30, null, { timeout: 30000 });
  await page.click('#stop');
  await idle();
  let r = (await runs())[3];
  assert.equal(r.status, 'stopped');
  const stopped = await download(`${row(4)} td.actions button:has-text("Checkpoint")`, 'stopped.ckpt');
  // a finished run goes on past its plan only if the engine can extend a plan
  const canExtend = await page.evaluate(() => window.normlab.state.engine.setEpochs);
  assert.equal(await page.$(`${row(3)} button[data-next="continue"]`) !== null, canExtend);
  // continue the stopped run: its settings go into the form (Epochs editable if it can be extended)
  await page.click(`${row(4)} button[data-next="continue"]`);
  assert.equal(await page.isVisible('#continue-bar'), true);
  assert.equal(await page.inputValue('#f-epochs'), '3');
  assert.equal(await page.isDisabled('#f-maxLr'), true);
  assert.equal(await page.isDisabled('#f-seed'), true);
  assert.equal(await page.isDisabled('#f-epochs'), !canExtend);
  assert.equal(await page.isDisabled('#f-threads'), false);
  assert.equal(await page.isDisabled('#compare'), true);
  assert.match(await page.textContent('#start'), /^Continue BN #4/);
  assert.match(await page.textContent('#continue-text'), /from epoch \d to (its planned )?3,/);
  await page.screenshot({ path: artifactPath('saved-1280-continue.png') });
  if (canExtend) {
    await page.fill('#f-epochs', String(r.epochsDone));
    assert.equal(await page.isDisabled('#start'), true, 'not fewer epochs than done');
    await page.fill('#f-epochs', '3');
  }
  await page.click('#start');
  await idle();
  assert.equal(await page.isVisible('#continue-bar'), false);
  r = (await runs())[3];
  assert.equal(r.status, 'finished');
  assert.equal(r.epochs, 3);
  const continued = await download(`${row(4)} td.actions button:has-text("Checkpoint")`, 'continued.ckpt');
  const straight = readFileSync(artifactPath('saved-straight.ckpt'));
  assert.ok(continued.bytes.equals(straight), 'the continued run ends with the uninterrupted run\'s checkpoint');

  // a checkpoint file (the stopped run's) continues too
  await page.setInputFiles('#ckpt-input', stopped.path);
  await page.waitForFunction(() => window.normlab.state.runs.length === 5, null, { timeout: 30000 });
  const loaded = (await runs())[4];
  assert.equal(loaded.source, 'checkpoint');
  await page.click(`${row(5)} button[data-next="continue"]`);
  await page.click('#start');
  await idle();
  const fromFile = await download(`${row(5)} td.actions button:has-text("Checkpoint")`, 'from-file.ckpt');
  assert.ok(fromFile.bytes.equals(straight), 'the loaded checkpoint continued to the same weights');
  const r5 = (await runs())[4];
  assert.equal(r5.status, 'finished');
  assert.ok(await colourPixels(page, '#chart-loss', r5.color) > 10, 'a continued file has curves');
  assert.deepEqual(errors, []);
});

test('Continue past the plan: 1 + 1 epochs give the weights of 2 (constant LR)', async () => {
  assert.equal(await page.evaluate(() => window.normlab.state.engine.setEpochs), true, 'the engine has Trainer.setEpochs');
  // OneCycle: the page says that a longer plan changes the remaining learning rates
  await page.fill('#f-epochs', '1');
  await page.click('#start');
  await idle();
  const m = (await runs()).length;
  await page.click(`${row(m)} button[data-next="continue"]`);
  assert.equal(await page.inputValue('#f-epochs'), '2');
  assert.match(await page.textContent('#continue-text'), /OneCycle is planned over 1 epochs: with 2/);
  await page.click('#continue-cancel');
  await page.selectOption('#f-schedule', 'const');
  await page.fill('#f-epochs', '1');
  await page.click('#start');
  await idle();
  const n = (await runs()).length;
  await page.click(`${row(n)} button[data-next="continue"]`);
  assert.equal(await page.inputValue('#f-epochs'), '2');
  assert.equal(await page.isDisabled('#f-epochs'), false);
  await page.click('#start');
  await idle();
  const r = (await runs())[n - 1];
  assert.deepEqual([r.status, r.epochs, r.globalStep], ['finished', 2, 60]);
  assert.doesNotMatch(await page.textContent('#continue-text'), /OneCycle/);
  await page.click('#start'); // the form shows its settings: the same 2 epochs in one go
  await idle();
  const a = await download(`${row(n)} td.actions button:has-text("Checkpoint")`, 'continued-past-plan.ckpt');
  const b = await download(`${row(n + 1)} td.actions button:has-text("Checkpoint")`, 'straight-2.ckpt');
  assert.ok(a.bytes.equals(b.bytes), 'continued past its plan = trained for the longer plan');
  assert.deepEqual(errors, []);
});

test('runs can be deleted; Clear clears, also after a reload', async () => {
  const before = await runs();
  await page.click(`${row(1)} td.actions button[aria-label^="Remove"]`);
  assert.equal((await runs()).length, before.length - 1);
  await page.waitForTimeout(300);
  await reload();
  assert.deepEqual((await runs()).map((r) => r.id), before.slice(1).map((r) => r.id));
  await page.click('#clear-runs');
  assert.equal((await runs()).length, 0);
  await page.waitForTimeout(300);
  await reload();
  assert.equal((await runs()).length, 0);
  assert.equal(await page.isVisible('#results-empty'), true);
  assert.deepEqual(errors, []);
});

test('a storage error is shown; the run itself goes on', async () => {
  await page.evaluate(() => {
    IDBObjectStore.prototype.put = function put() {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };
  });
  await page.fill('#f-epochs', '1');
  await page.click('#start');
  await idle();
  assert.equal((await runs())[0].status, 'finished');
  await page.waitForSelector('#store-error:not([hidden])');
  assert.match(await page.textContent('#store-error'), /could not be saved in this browser \(the browser's storage for this page is full\)/);
});

test('a checkpoint loaded before the data set is evaluated when the data arrives', async () => {
  const s = await startServer([]);
  const p = await browser.context.newPage();
  const errs = watchErrors(p);
  // A host without the built-in sample (as in upload.test.mjs), so the page has no data yet.
  await p.route('**/assets/**', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: '{}' }));
  try {
    await p.goto(s.url);
    await p.waitForFunction(() => document.documentElement.dataset.dataset === 'none' && document.documentElement.dataset.engine, null, { timeout: 30000 });
    await p.setInputFiles('#ckpt-input', artifactPath('saved-straight.ckpt'));
    await p.waitForFunction(() => window.normlab.state.runs.length === 1, null, { timeout: 30000 });
    assert.equal((await runs(p))[0].acc, null);
    await p.setInputFiles('#data-input', ds.tgz);
    await p.waitForFunction(() => window.normlab.state.runs[0].finalEval, null, { timeout: 30000 });
    const r = (await runs(p))[0];
    assert.ok(r.acc > 0.1, `accuracy ${r.acc}`);
    assert.equal(r.mis, 10);
    assert.equal(await p.getAttribute('#mistakes canvas', 'data-images'), '10');
    assert.deepEqual(errs, []);
  } finally {
    await p.close();
    await s.stop();
  }
});
