#!/usr/bin/env node
// One full training in the real playground page (headless Chromium, the Wasm build in web/wasm),
// saved in the formats of the native runs, so the browser's result can be set beside the CLI's:
//   node bench/experiment/browser_run.mjs --data ../shared/data/cifar-10-binary.tar.gz \
//     --out bench/experiment/results/browser_bn_s1 [--norm bn] [--epochs 20] [--seed 1] [--threads 2] [--timeout-min 60]
// Writes OUT.metrics.json (the page's "Metrics JSON" export), OUT.jsonl (per epoch, in the format
// of `normlab train --metrics-out`, for `normlab plot`), OUT.ckpt (the page's checkpoint download;
// `normlab eval --load` reads it) and OUT.png (the whole page at 1280 px). Prints a progress line
// per epoch to stderr and a one-line JSON summary to stdout. The other settings are the page's
// defaults (the same as the CLI's). --timeout-min bounds the whole run, data loading included.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { launch, requireWasmBuild, startServer, watchErrors } from '../../tests/browser/support.mjs';

const USAGE = `usage: node bench/experiment/browser_run.mjs --data PATH --out PREFIX [--norm bn|gn|ln] [--epochs N]
       [--seed N] [--threads N] [--timeout-min N]`;
const POLL_MS = 2000;

function parseCli(argv) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      data: { type: 'string' },
      out: { type: 'string' },
      norm: { type: 'string', default: 'bn' },
      epochs: { type: 'string', default: '20' },
      seed: { type: 'string', default: '1' },
      threads: { type: 'string', default: '2' },
      'timeout-min': { type: 'string', default: '60' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (!values.data || !values.out) throw new Error('--data and --out are required');
  if (!['bn', 'gn', 'ln'].includes(values.norm)) throw new Error(`--norm must be bn, gn or ln, got '${values.norm}'`);
  for (const k of ['epochs', 'seed', 'threads']) {
    if (!/^\d+$/.test(values[k])) throw new Error(`--${k} must be a whole number, got '${values[k]}'`);
  }
  const timeoutMin = Number(values['timeout-min']);
  if (!(timeoutMin > 0)) throw new Error(`--timeout-min must be a positive number, got '${values['timeout-min']}'`);
  return {
    data: resolve(values.data),
    out: resolve(values.out),
    norm: values.norm,
    // as strings: they are compared with what the form fields show
    epochs: String(Number(values.epochs)),
    seed: String(BigInt(values.seed)),
    threads: String(Number(values.threads)),
    deadline: Date.now() + timeoutMin * 60000,
  };
}

let interrupted = false;

/** Polls check() until it returns a truthy value; check may throw to fail early. */
async function waitFor(what, check, deadline) {
  for (;;) {
    const v = await check();
    if (v) return v;
    if (interrupted) throw new Error(`interrupted while waiting for ${what}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

const pct = (x) => `${(100 * x).toFixed(2)}%`;

function clock(sec) {
  const s = Math.round(sec);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** A number as C's printf("%.8g") writes it (two-digit exponent: 4e-07, not 4e-7). */
function cG8(x) {
  return String(Number(x.toPrecision(8))).replace(/e([+-])(\d)$/, 'e$10$2');
}

/**
 * The exported run as the lines `normlab train --metrics-out` writes (same keys, order and
 * number formats; see tools/cli/cmd_train.c). The page records training seconds so far at each
 * epoch (evaluation excluded, as in the CLI), so an epoch's time is the difference.
 */
function toCliJsonl(run, stepsPerEpoch) {
  let prev = 0;
  return run.epochs.map((e) => {
    const sec = e.seconds - prev;
    prev = e.seconds;
    const ips = sec > 0 ? (stepsPerEpoch * run.settings.batch) / sec : 0;
    return `{"epoch": ${e.epoch}, "train_loss": ${e.trainLoss.toFixed(6)}, "train_acc": ${e.trainAcc.toFixed(6)}, `
      + `"test_loss": ${e.testLoss.toFixed(6)}, "test_acc": ${e.testAcc.toFixed(6)}, "lr": ${cG8(e.lr)}, `
      + `"seconds": ${sec.toFixed(3)}, "images_per_sec": ${ips.toFixed(1)}, "norm": "${run.model.norm}", "params": ${run.params}}\n`;
  }).join('');
}

/** Clicks a button that makes the page download a file, and saves that file at path. */
async function download(page, locator, path) {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 60000 }), locator.click()]);
  await dl.saveAs(path);
  const failure = await dl.failure();
  if (failure) throw new Error(`download of ${dl.suggestedFilename()} failed: ${failure}`);
  return dl.suggestedFilename();
}

async function main() {
  let o;
  try {
    o = parseCli(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`browser_run: ${e.message}\n${USAGE}\n`);
    process.exit(2);
  }
  const log = (msg) => process.stderr.write(`browser_run: ${msg}\n`);
  requireWasmBuild();
  mkdirSync(dirname(o.out), { recursive: true });
  const started = Date.now();

  const srv = await startServer(['--data', o.data]);
  let browser;
  let errors = [];
  try {
    browser = await launch({ viewport: { width: 1280, height: 800 }, handleSignals: false });
    const page = await browser.context.newPage();
    errors = watchErrors(page);
    let crashed = false;
    page.on('crash', () => { crashed = true; });

    // threads is a machine-local field: the hash does not carry it, the form field does (below)
    const hash = new URLSearchParams({ norm: o.norm, epochs: o.epochs, seed: o.seed }).toString();
    log(`${srv.url}#${hash}`);
    await page.goto(`${srv.url}#${hash}`);

    // the page starts the engine, then loads the server's data set by itself (web/app.js)
    log('waiting for the engine and the data set…');
    await waitFor('the engine and the data set', () => page.evaluate(() => {
      if (!window.normlab) return false; // the page's modules have not run yet
      const { state } = window.normlab;
      if (state.engineError) throw new Error(`engine: ${state.engineError}`);
      const dataError = document.getElementById('data-error');
      if (!dataError.hidden && !state.dataLoading) throw new Error(`data set: ${dataError.textContent}`);
      return !!state.engine && document.documentElement.dataset.dataset === 'ready' && !state.dataLoading;
    }), o.deadline);
    const info = await page.evaluate(() => {
      const { state } = window.normlab;
      return { engine: state.engine, train: state.data.info.train, test: state.data.info.test, userAgent: navigator.userAgent };
    });
    log(`engine ${info.engine.variant} (${info.engine.threads} threads), data ${info.train} train / ${info.test} test images`);

    await page.fill('#f-threads', o.threads);
    const form = await page.evaluate(() => ({
      norm: document.querySelector('input[name="norm"]:checked')?.value,
      epochs: document.getElementById('f-epochs').value,
      seed: document.getElementById('f-seed').value,
      threads: document.getElementById('f-threads').value,
      errors: window.normlab.state.lastValidation.errors,
    }));
    for (const k of ['norm', 'epochs', 'seed', 'threads']) {
      if (form[k] !== o[k]) throw new Error(`the settings form shows ${k}=${form[k]}, asked for ${o[k]}`);
    }
    if (Object.keys(form.errors).length) throw new Error(`the page rejects the settings: ${JSON.stringify(form.errors)}`);

    await page.click('#start');
    const runId = await waitFor('the run to start', () => page.evaluate(() => window.normlab.state.runs.at(-1)?.id), o.deadline);
    const runStarted = Date.now();

    // poll until the queue is done, printing each epoch as it arrives
    let shown = 0;
    const last = await waitFor('the run to finish', async () => {
      if (crashed) throw new Error('the page crashed');
      const s = await page.evaluate((id) => {
        const { state } = window.normlab;
        const run = state.runs.find((r) => r.id === id);
        const runError = document.getElementById('run-error');
        return {
          training: state.training,
          status: run?.status,
          error: runError.hidden ? null : runError.textContent,
          epochs: run ? run.epochs : [],
          planned: run?.epochsPlanned,
          stepsPerEpoch: run?.stepsPerEpoch,
        };
      }, runId);
      if (s.error) throw new Error(`the run failed: ${s.error}`);
      for (; shown < s.epochs.length; shown++) {
        const e = s.epochs[shown];
        const epochSec = e.seconds - (shown ? s.epochs[shown - 1].seconds : 0);
        log(`epoch ${e.epoch}/${s.planned}  train loss ${e.trainLoss.toFixed(4)} acc ${pct(e.trainAcc)}  `
          + `test loss ${e.testLoss.toFixed(4)} acc ${pct(e.testAcc)}  lr ${e.lr.toPrecision(4)}  `
          + `${epochSec.toFixed(1)}s  elapsed ${clock((Date.now() - runStarted) / 1000)}`);
      }
      if (s.training !== 'idle') return null;
      if (s.status !== 'finished') throw new Error(`the run ended as '${s.status}'`);
      return s;
    }, o.deadline);
    const wallSeconds = (Date.now() - runStarted) / 1000;

    // the page's own export, then the CLI-format lines converted from it
    await download(page, page.locator('#export-json'), `${o.out}.metrics.json`);
    const exported = JSON.parse(readFileSync(`${o.out}.metrics.json`, 'utf8'));
    const run = exported.runs.find((r) => r.id === runId);
    if (!run || run.epochs.length !== Number(o.epochs)) throw new Error('the exported metrics lack the run or some epochs');
    writeFileSync(`${o.out}.jsonl`, toCliJsonl(run, last.stepsPerEpoch));

    // the trained weights: the "Checkpoint" button of the run's row in the results table
    const row = page.locator(`#results-body tr[data-run="${runId}"]`);
    await download(page, row.getByRole('button', { name: 'Checkpoint', exact: true }), `${o.out}.ckpt`);

    // back to the top: the sidebar is sticky and would be drawn where the downloads scrolled to
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.waitForTimeout(500); // let the last charts be drawn
    await page.screenshot({ path: `${o.out}.png`, fullPage: true });

    const final = run.epochs.at(-1);
    const trainImages = last.stepsPerEpoch * run.settings.batch * run.epochs.length;
    console.log(JSON.stringify({
      out: o.out,
      norm: run.model.norm,
      epochs: run.epochs.length,
      seed: run.settings.seed,
      threads: run.settings.threads,
      engine: info.engine.variant,
      params: run.params,
      final_train_acc: final.trainAcc,
      final_test_acc: final.testAcc,
      seconds: Number(run.seconds.toFixed(3)), // training only, as the page counts it
      wall_seconds: Number(wallSeconds.toFixed(1)), // with the per-epoch evaluations
      images_per_sec: Number((trainImages / run.seconds).toFixed(1)),
      user_agent: info.userAgent,
      total_seconds: Number(((Date.now() - started) / 1000).toFixed(1)),
    }));
  } finally {
    // console errors of the page help to tell why a run failed (and flag a suspect success)
    if (errors.length) log(`page errors:\n  ${errors.join('\n  ')}`);
    await browser?.close();
    await srv.stop();
  }
}

// Ctrl-C / SIGTERM: stop polling so that the finally block closes Chromium and the server
// (Playwright's own handlers are off: they would exit at once and leave the server running)
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { interrupted = true; });

main().catch((e) => {
  process.stderr.write(`browser_run: error: ${e.message}\n`);
  process.exit(interrupted ? 130 : 1);
});
