// A run made in the page is reproduced bit for bit by the native CLI, here with a seed
// above 2^31 (4000000000: it must survive the URL hash, the form, the worker, the JSON
// embedded in the checkpoint and the CLI's --config). The page's checkpoint carries its
// configuration JSON; `normlab train --config` with that JSON on the same data gives the
// same weights (compared as exported safetensors files, byte for byte).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { ROOT, artifactPath, launch, requireWasmBuild, startServer, watchErrors, writeDataset } from './support.mjs';

const CLI = process.env.NL_CLI || join(ROOT, 'build', 'normlab');
// 320 / 16 = 20 steps, one epoch
const HASH = '#epochs=1&batch=16&seed=4000000000';

let ds;
let srv;
let browser;

before(async () => {
  requireWasmBuild();
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build the CLI first (cmake --build build)`);
  ds = writeDataset({ train: 320, test: 64, seed: 11 });
  srv = await startServer(['--data', ds.tgz]);
  browser = await launch({ viewport: { width: 1280, height: 900 } });
});

after(async () => {
  await browser?.close();
  await srv?.stop();
  ds?.cleanup();
});

/** The configuration JSON a version-2 checkpoint embeds (a u32 length, then the text). */
function embeddedConfig(bytes) {
  const at = bytes.indexOf('{"');
  assert.ok(at >= 4, 'the checkpoint embeds a configuration JSON');
  const len = bytes.readUInt32LE(at - 4);
  const text = bytes.subarray(at, at + len).toString('utf8');
  return { text, config: JSON.parse(text) };
}

/** A safetensors file's tensor table (without the metadata, which names the thread count) and data. */
function tensors(bytes) {
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  delete header.__metadata__;
  return { header, data: bytes.subarray(8 + n) };
}

test('a run made in the page with seed 4000000000 is reproduced bit for bit by the CLI', async () => {
  const page = await browser.context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${srv.url}${HASH}`);
  await page.waitForFunction(() => document.documentElement.dataset.dataset === 'ready' && !window.normlab.state.restoring, null, { timeout: 60000 });
  assert.equal(await page.inputValue('#f-seed'), '4000000000');
  await page.click('#start');
  await page.waitForFunction(() => document.documentElement.dataset.training === 'idle', null, { timeout: 120000 });
  const run = await page.evaluate(() => window.normlab.state.runs.map((r) => ({ status: r.status, globalStep: r.globalStep })));
  assert.deepEqual(run, [{ status: 'finished', globalStep: 20 }]);

  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#results-body tr:nth-child(1) td.actions button:has-text("Checkpoint")')]);
  const pageCkpt = artifactPath('seed-cli-page.ckpt');
  await dl.saveAs(pageCkpt);
  const bytes = readFileSync(pageCkpt);
  const { text, config } = embeddedConfig(bytes);
  assert.equal(config.seed, '4000000000', 'the seed is kept exactly (as a decimal string)');
  assert.equal(config.epochs, 1);
  assert.equal(config.batch, 16);

  const cfgPath = artifactPath('seed-cli-config.json');
  writeFileSync(cfgPath, text);
  const cliCkpt = artifactPath('seed-cli-cli.ckpt');
  // one thread in the CLI whatever the page used: the thread count must not change the weights
  execFileSync(CLI, ['train', '--config', cfgPath, '--threads', '1', '--data', ds.tgz, '--save', cliCkpt], { stdio: ['ignore', 'ignore', 'pipe'] });
  const st = {};
  for (const [name, ckpt] of [['page', pageCkpt], ['cli', cliCkpt]]) {
    st[name] = artifactPath(`seed-cli-${name}.safetensors`);
    execFileSync(CLI, ['export', '--load', ckpt, '--out', st[name]], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
  assert.equal(embeddedConfig(readFileSync(cliCkpt)).config.seed, '4000000000');
  const a = tensors(readFileSync(st.page));
  const b = tensors(readFileSync(st.cli));
  assert.deepEqual(b.header, a.header, 'the same tensors, shapes and offsets');
  assert.ok(a.data.length > 10000);
  assert.ok(a.data.equals(b.data), 'the page and the CLI end with the same weights, bit for bit');
  assert.deepEqual(errors, []);
  await page.close();
});
