// "Import a run" (issue 14): a run trained outside the page, by `normlab train` and by
// tools/pytorch/train.py (from the page's own "Config JSON"), comes into the page from its metrics file (+ .safetensors): a row
// of the results table, curves, and with the weights the mistakes grid and the confusion
// matrix, evaluated on the page's data set (for the CLI's run: the CLI's own test accuracy,
// since the engine is the same). Bad files give a message in the page; imported runs stay
// after a reload.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import {
  artifactPath, colourPixels, inkPixels, openPlayground, requireWasmBuild, ROOT, writeDataset,
} from './support.mjs';

const CLI = process.env.NL_CLI || join(ROOT, 'build', 'normlab');
const PYTHON = '/usr/bin/python3';

let ds;
let srv;
let browser;
let page;
let errors;
let env;
const files = {};

const runs = () => page.evaluate(() => window.normlab.state.runs.map((r) => ({
  id: r.id, label: r.label, status: r.status, source: r.source, epochs: r.epochs.length, color: r.color,
  acc: r.finalEval ? r.finalEval.acc : null, mis: r.finalEval ? r.finalEval.mis.length : 0, hasWeights: !!r.hasWeights,
  testAcc: r.epochs.map((e) => e.testAcc), paramCount: r.paramCount,
})));
const ready = () => page.waitForFunction(() => document.documentElement.dataset.dataset === 'ready' && !window.normlab.state.restoring, null, { timeout: 60000 });
const importError = () => page.$eval('#import-error', (el) => (el.hidden ? '' : el.textContent));

async function importFiles(paths, count) {
  await page.setInputFiles('#import-input', paths);
  if (count !== undefined) await page.waitForFunction((n) => window.normlab.state.runs.length === n, count, { timeout: 30000 });
}

before(async () => {
  requireWasmBuild();
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build the CLI first (cmake --build build)`);
  ds = writeDataset({ train: 320, test: 64, seed: 21 });
  const d = ds.dir;
  // a run of the CLI: 2 epochs, metrics and weights
  execFileSync(CLI, ['train', '--data', ds.tgz, '--norm', 'bn', '--epochs', '2', '--batch', '32', '--threads', '1', '--quiet',
    '--metrics-out', join(d, 'cli.jsonl'), '--save', join(d, 'cli.ckpt')]);
  execFileSync(CLI, ['export', '--load', join(d, 'cli.ckpt'), '--out', join(d, 'cli.safetensors')], { stdio: 'ignore' });
  // bad files
  writeFileSync(join(d, 'broken.jsonl'), `${readFileSync(join(d, 'cli.jsonl'), 'utf8').split('\n')[0]}\n{"epoch": 2, "train_loss": oops}\n`);
  const st = readFileSync(join(d, 'cli.safetensors'));
  writeFileSync(join(d, 'cut.safetensors'), st.subarray(0, st.length - 100));
  Object.assign(files, Object.fromEntries(['cli.jsonl', 'cli.safetensors', 'torch.jsonl', 'torch.safetensors', 'broken.jsonl',
    'cut.safetensors', 'gn.json'].map((f) => [f, join(d, f)])));
  env = await openPlayground({ ds, viewport: { width: 1280, height: 900 } });
  ({ srv, browser, page, errors } = env);
});

after(async () => {
  await env?.close();
  ds?.cleanup();
});

test('a normlab train run with its weights: table, curves, mistakes and confusion beside the page\'s runs', async () => {
  await page.goto(srv.url);
  await ready();
  await importFiles([files['cli.jsonl'], files['cli.safetensors']], 1);
  await page.waitForFunction(() => window.normlab.state.runs[0].finalEval, null, { timeout: 30000 });
  const [run] = await runs();
  const metrics = readFileSync(files['cli.jsonl'], 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(run.status, 'imported');
  assert.equal(run.label, 'BN (imported)');
  assert.equal(run.epochs, 2);
  assert.deepEqual(run.testAcc, metrics.map((m) => m.test_acc));
  assert.equal(run.paramCount, metrics[0].params);
  // the same engine on the same test set: the page's evaluation is the CLI's last test accuracy
  assert.equal(run.acc, metrics[1].test_acc);
  assert.ok(run.mis > 0, 'misclassified images for the grid');
  const row = await page.textContent('#results-body tr:nth-child(1)');
  assert.match(row, /BN \(imported\)/);
  assert.match(row, /from cli\.jsonl \+ cli\.safetensors/);
  assert.match(row, /2 \/ 2/);
  await page.waitForFunction(() => document.querySelectorAll('#mistakes .mistake-card').length === 1);
  await page.waitForTimeout(300); // a frame for the charts
  assert.ok(await colourPixels(page, '#chart-acc', run.color) > 50, 'the run\'s accuracy curve is drawn');
  assert.ok(await inkPixels(page, '#mistakes .mistake-card canvas') > 1000, 'its mistakes grid is drawn');
  assert.equal(await importError(), '');
});

test('the page\'s settings as Config JSON, trained by train.py (PyTorch) and brought back; a metrics file alone', async () => {
  // the form: GN, 1 epoch, batch 32; "Config JSON" downloads the whole configuration
  await page.goto('about:blank');
  await page.goto(`${srv.url}#norm=gn&epochs=1&batch=32`);
  await ready();
  await page.waitForFunction(() => !document.getElementById('export-config').disabled);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#export-config')]);
  assert.equal(dl.suggestedFilename(), 'normlab-config-gn.json');
  await dl.saveAs(files['gn.json']);
  const cfg = JSON.parse(readFileSync(files['gn.json'], 'utf8'));
  assert.equal(cfg.format, 'normlab-config');
  assert.deepEqual([cfg.norm, cfg.epochs, cfg.batch, cfg.threads], ['gn', 1, 32, 0]);
  const cliView = JSON.parse(execFileSync(CLI, ['config', '--config', files['gn.json']], { encoding: 'utf8' }));
  assert.deepEqual(cliView, cfg, 'the CLI reads it back unchanged: it is what normlab config prints');
  const py = spawnSync(PYTHON, [join(ROOT, 'tools', 'pytorch', 'train.py'), '--config', files['gn.json'], '--data', ds.tgz,
    '--threads', '1', '--quiet', '--metrics-out', files['torch.jsonl'], '--out', files['torch.safetensors']], { encoding: 'utf8' });
  assert.equal(py.status, 0, `train.py failed (is python3-torch installed?): ${py.stderr}`);
  await importFiles([files['torch.safetensors'], files['torch.jsonl']], 2);
  await page.waitForFunction(() => window.normlab.state.runs[1].finalEval, null, { timeout: 30000 });
  const torchRun = (await runs())[1];
  const metrics = JSON.parse(readFileSync(files['torch.jsonl'], 'utf8').trim());
  assert.match(torchRun.label, /^GN .*\(imported\)$/);
  assert.equal(torchRun.epochs, 1);
  // another engine's last evaluation, re-done here with the page's engine: within 2 images of 64
  assert.ok(Math.abs(torchRun.acc - metrics.test_acc) <= 2 / 64, `page ${torchRun.acc} vs train.py ${metrics.test_acc}`);
  await importFiles([files['cli.jsonl']], 3);
  const plain = (await runs())[2];
  assert.equal(plain.hasWeights, false);
  assert.equal(plain.acc, null);
  assert.equal(await page.locator('#mistakes .mistake-card').count(), 2, 'a metrics file alone has no mistakes grid');
  await page.screenshot({ path: artifactPath('import-run.png'), fullPage: true });
});

test('bad files: a clear message in the page, no run added', async () => {
  const cases = [
    [[files['broken.jsonl']], /broken\.jsonl, line 2: not JSON/],
    [[files['cli.safetensors']], /pick the run's metrics file/],
    [[files['torch.jsonl'], files['cli.safetensors']], /torch\.jsonl is a GN run but cli\.safetensors holds a BN model/],
    [[files['cli.jsonl'], files['cut.safetensors']], /cut\.safetensors: not usable normlab weights/],
    [[join(ROOT, 'web', 'favicon.svg'), files['cli.jsonl']], /favicon\.svg: not a metrics file/],
  ];
  for (const [paths, pattern] of cases) {
    await importFiles(paths);
    await page.waitForFunction(() => !document.getElementById('import-error').hidden, null, { timeout: 30000 });
    assert.match(await importError(), pattern);
    assert.equal((await runs()).length, 3);
    await page.$eval('#import-error', (el) => { el.hidden = true; });
  }
});

test('imported runs stay after a reload', async () => {
  await page.reload();
  await ready();
  await page.waitForFunction(() => window.normlab.state.runs.filter((r) => r.finalEval).length === 2, null, { timeout: 30000 });
  const back = await runs();
  assert.deepEqual(back.map((r) => [r.status, r.epochs, r.hasWeights]), [['imported', 2, true], ['imported', 1, true], ['imported', 2, false]]);
  assert.deepEqual(errors, []);
});
