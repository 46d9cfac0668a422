// The page against Node, and Firefox against Chromium (a measurement, not a test):
//   node bench/page_bench.mjs [--threads 2] [--norm bn] [--epochs 2] [--train 10240] [--test 768]
//                             [--repeats 2] [--browsers chromium,firefox] [--json FILE]
//                             [--no-page-warm] [--engine-only] [--firefox-prefs JSON]
// --engine-only: no page runs (the engines only); --firefox-prefs: about:config prefs (diagnosis).
// --train: the synthetic training images; with too few, the per-epoch work (evaluation, a
// checkpoint, the results redrawn) comes many times more often than in a CIFAR-10 run.
// For each browser (Debian chromium through playwright-core, firefox-esr through puppeteer-core
// and WebDriver BiDi, as in tests/browser/) and each repeat, on a synthetic data set served by
// tools/serve.mjs (cross-origin isolated, so the mt build):
//   page   the playground trains the default model (its own default settings, --threads
//          threads) for --epochs epochs, as a user would: Train clicked, progress drawn,
//          evaluation and a checkpoint after every epoch; the second of two such runs in the
//          page is timed (the first warms the engine up; --no-page-warm: time the first).
//          Timed from the worker's messages:
//          "train" = images / the worker's own training time (its slices of steps only),
//          "wall" = images / runStart..runEnd (also evaluation, checkpoints, yields, messages);
//   engine bench/wasm_bench_core.mjs in a Web Worker of the same page: the same number of
//          steps of the same configuration (the page's, read from its runStart message) on
//          random data, nothing else;
// and once per repeat Node (the engine bench in-process, as bench/wasm_bench.mjs). Prints one
// table: img/s (median and best of the repeats) and images per CPU second (all the browser's
// processes, from /proc; Node's own CPU time), which a busy machine distorts much less, with
// the ratios page/Node, engine-in-browser/Node and Firefox/Chromium and the load averages.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { NormLab } from '../wasm_bindings/normlab.js';
import { launch, requireWasmBuild, ROOT, startServer, writeDataset } from '../tests/browser/support.mjs';
import { launchFirefox } from '../tests/browser/support_firefox.mjs';
import { benchTrainer } from './wasm_bench_core.mjs';

const { values: opt } = parseArgs({
  options: {
    threads: { type: 'string', default: '2' },
    norm: { type: 'string', default: 'bn' },
    epochs: { type: 'string', default: '2' },
    train: { type: 'string', default: '10240' }, // 80 steps per epoch (CIFAR-10: 390)
    test: { type: 'string', default: '768' },
    repeats: { type: 'string', default: '2' },
    browsers: { type: 'string', default: 'chromium,firefox' },
    json: { type: 'string' },
    'firefox-prefs': { type: 'string', default: '{}' },
    'page-warm': { type: 'boolean', default: true },
    'no-page-warm': { type: 'boolean', default: false },
    'engine-only': { type: 'boolean', default: false },
  },
});
const THREADS = Number(opt.threads);
if (opt['no-page-warm']) opt['page-warm'] = false;
const BROWSERS = opt.browsers.split(',').filter(Boolean);
const REPEATS = Number(opt.repeats);
const ENGINE_SRC = readFileSync(join(ROOT, 'bench', 'wasm_bench_core.mjs'), 'utf8');

// Runs in the page before its scripts: records the training worker's run messages with the
// time they arrive (the page's own handler still gets every message).
const RECORDER = `(() => {
  const W = self.Worker;
  window.__nlBench = [];
  self.Worker = class extends W {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (ev) => {
        const m = ev.data || {};
        if (!['runStart', 'progress', 'epoch', 'runEnd'].includes(m.type)) return;
        window.__nlBench.push({
          type: m.type, t: performance.now(), steps: m.losses ? m.losses.length : undefined, seconds: m.seconds,
          evalSeconds: m.evalSeconds, status: m.status, globalStep: m.progress ? m.progress.globalStep : undefined,
          config: m.type === 'runStart' ? m.configJson : undefined,
        });
      });
    }
  };
})();`;

/** The page trains once; returns its figures and configuration (cpu: CPU seconds of the run). */
async function pageRun(page, url, cpu) {
  await page.goto(`${url}#norm=${opt.norm}&epochs=${opt.epochs}`);
  await page.waitForFunction(() => document.documentElement.dataset.dataset === 'ready'
    && document.documentElement.dataset.engine === 'mt', null, { timeout: 120000 });
  await page.fill('#f-threads', String(THREADS));
  await page.waitForFunction(() => !document.getElementById('start').disabled, null, { timeout: 30000 });
  const trainOnce = async () => {
    await page.evaluate(() => { window.__nlBench.length = 0; });
    await page.waitForFunction(() => window.normlab.state.training === 'idle'
      && !document.getElementById('start').disabled, null, { timeout: 30000 });
    await page.click('#start');
    await page.waitForFunction(() => (window.__nlBench || []).some((m) => m.type === 'runEnd'), null, { timeout: 900000 });
  };
  // a first run warms the engine up (V8 and SpiderMonkey finish compiling the hot Wasm
  // functions in the background during the first steps), as the engine bench's warm run does
  if (opt['page-warm']) await trainOnce();
  const c0 = cpu();
  const k0 = lastByKind;
  await trainOnce();
  const cpuSeconds = cpu() - c0;
  const cpuByKind = kindDiff(k0, lastByKind);
  const rec = await page.evaluate(() => window.__nlBench);
  const start = rec.find((m) => m.type === 'runStart');
  const end = rec.find((m) => m.type === 'runEnd');
  if (end.status !== 'finished') throw new Error(`the page's run ended ${end.status}`);
  const config = start.config;
  if (config.threads !== THREADS) throw new Error(`the page trained with ${config.threads} threads, not ${THREADS}`);
  const steps = end.globalStep;
  const images = steps * config.batch;
  const evalSeconds = rec.filter((m) => m.type === 'epoch').reduce((s, m) => s + m.evalSeconds, 0);
  const progress = rec.filter((m) => m.type === 'progress').length;
  return {
    config, steps, progressMessages: progress, evalSeconds, images_per_cpu_sec: images / cpuSeconds, cpuByKind,
    train: images / end.seconds, wall: (images * 1000) / (end.t - start.t), wallSeconds: (end.t - start.t) / 1000,
  };
}

/**
 * Starts the engine bench in a module Web Worker of the page (same origin, so cross-origin
 * isolated): NormLab mt with `threads` threads, kept for engineRun calls.
 */
async function engineStart(page, threads) {
  await page.evaluate(async ({ src, threads }) => {
    const core = URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
    const main = `import { benchTrainer } from '${core}';
      const { NormLab } = await import('${location.origin}/wasm/normlab.js');
      const nl = await NormLab.create({ variant: 'mt', threads: ${threads} });
      self.onmessage = (ev) => {
        try {
          self.postMessage({ ok: benchTrainer(nl, ev.data) });
        } catch (e) {
          self.postMessage({ error: String(e && e.stack || e) });
        }
      };
      self.postMessage({ ready: true });`;
    const w = new Worker(URL.createObjectURL(new Blob([main], { type: 'text/javascript' })), { type: 'module' });
    let pending = null;
    const ready = new Promise((resolve, reject) => {
      w.onerror = (e) => (pending ? pending.reject : reject)(new Error(`engine worker: ${e.message}`));
      w.onmessage = (ev) => {
        if (ev.data.ready) return resolve();
        const p = pending;
        pending = null;
        if (ev.data.error) p.reject(new Error(ev.data.error));
        else p.resolve(ev.data.ok);
      };
    });
    window.__nlEngine = (msg) => new Promise((resolve, reject) => {
      pending = { resolve, reject };
      w.postMessage(msg);
    });
    await ready;
  }, { src: ENGINE_SRC, threads });
}

/** One engine bench of `steps` steps (+ 1 warm-up step) in the page's engine worker. */
function engineRun(page, config, steps) {
  return page.evaluate(({ config, steps }) => window.__nlEngine({ config, steps }), { config, steps });
}

/**
 * Engine figures from two runs in one engine (short and long, after a warm one): img/s of the
 * long run's timed steps, and images per CPU second from the difference of the two runs' CPU
 * time (which cancels the fixed costs: data, trainer, warm-up step).
 */
async function twoRuns(run, cpu, config, steps) {
  const short = Math.max(2, Math.round(steps / 4));
  await run(config, short); // warm: the compiler's background tiers finish here, not in the measured runs
  const c0 = cpu();
  await run(config, short);
  const c1 = cpu();
  const r = await run(config, steps);
  const c2 = cpu();
  const dImages = (steps - short) * config.batch;
  return { ...r, images_per_cpu_sec: dImages / Math.max(1e-9, c2 - c1 - (c1 - c0)) };
}

async function nodeRun(config, steps) {
  const nl = await NormLab.create({ variant: 'mt', threads: config.threads });
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  try {
    return await twoRuns(async (c, n) => benchTrainer(nl, { config: c, steps: n }), cpu, config, steps);
  } finally {
    nl.close();
  }
}

async function openBrowser(name) {
  if (name === 'chromium') {
    const b = await launch({ handleSignals: false });
    await b.context.addInitScript(RECORDER);
    const page = b.context.pages()[0] || await b.context.newPage();
    return { page, version: `chromium ${b.context.browser()?.version() || ''}`.trim(), close: b.close };
  }
  if (name === 'firefox') {
    const ff = await launchFirefox({ prefs: JSON.parse(opt['firefox-prefs']) });
    const page = await ff.newPage();
    await page.page.evaluateOnNewDocument(RECORDER);
    return { page, version: ff.version, close: ff.close };
  }
  throw new Error(`unknown browser ${name} (chromium, firefox)`);
}

/** A process's role from its command line: chromium --type=..., firefox content, server. */
function processKind(pid) {
  let cmd = '';
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return 'gone';
  }
  if (cmd.includes('serve.mjs')) return 'server';
  const t = cmd.match(/--type=([\w-]+)/);
  if (t) return t[1];
  if (cmd.includes('-contentproc')) return cmd.includes('-isForBrowser') ? 'content' : 'helper';
  return 'browser';
}

/**
 * CPU seconds (user + system) used so far by this process's descendants (the browser's
 * processes and the page server; Linux /proc), in all and by process kind: a load-independent
 * measure next to wall time. The number is the total; .byKind the split.
 */
export function childCpuSeconds() {
  const parent = new Map();
  const cpu = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${d}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the 3rd (state) on
    parent.set(Number(d), Number(f[1]));
    cpu.set(Number(d), (Number(f[11]) + Number(f[12])) / 100); // utime, stime in clock ticks (USER_HZ 100)
  }
  let total = 0;
  const byKind = {};
  for (const [pid, c] of cpu) {
    for (let p = parent.get(pid); p; p = parent.get(p)) {
      if (p === process.pid) {
        total += c;
        const k = processKind(pid);
        byKind[k] = (byKind[k] || 0) + c;
        break;
      }
    }
  }
  lastByKind = byKind;
  return total;
}
let lastByKind = {};
const kindDiff = (a, b) => Object.fromEntries(Object.keys(b).map((k) => [k, Number(((b[k] || 0) - (a[k] || 0)).toFixed(2))]));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

requireWasmBuild();
const ds = writeDataset({ train: Number(opt.train), test: Number(opt.test), seed: 3 });
const srv = await startServer(['--data', ds.tgz]);
const results = { node: [], versions: {} };
for (const b of BROWSERS) results[b] = { page: [], engine: [] };
const loadBefore = load();
try {
  for (let r = 0; r < REPEATS; r++) {
    let config = null;
    let steps = 0;
    for (const name of BROWSERS) {
      const br = await openBrowser(name);
      results.versions[name] = br.version;
      try {
        let p = null;
        if (opt['engine-only']) { // the page's default configuration, without its run
          await br.page.goto(`${srv.url}#norm=${opt.norm}`);
          config = { preset: 'default', norm: opt.norm, batch: 128, threads: THREADS };
          steps = Math.floor(Number(opt.train) / 128) * Number(opt.epochs);
        } else {
          p = await pageRun(br.page, srv.url, childCpuSeconds);
          config = p.config;
          steps = p.steps;
          results[name].page.push(p);
        }
        await engineStart(br.page, config.threads);
        const e = await twoRuns((c, n) => engineRun(br.page, c, n), childCpuSeconds, { ...config, epochs: 1 }, steps);
        results[name].engine.push(e);
        if (p) {
          console.error(`page_bench: ${name} page CPU seconds by process: ${JSON.stringify(p.cpuByKind)}`);
          console.error(`page_bench: ${name} repeat ${r + 1}: page train ${p.train.toFixed(1)} wall ${p.wall.toFixed(1)} `
            + `(${p.images_per_cpu_sec.toFixed(1)} per CPU-s) img/s`);
        }
        console.error(`page_bench: ${name} repeat ${r + 1}: engine ${e.images_per_sec} (${e.images_per_cpu_sec.toFixed(1)} per CPU-s) img/s (load ${load()})`);
      } finally {
        await br.close();
      }
    }
    const n = await nodeRun({ ...config, epochs: 1 }, steps);
    results.node.push(n);
    console.error(`page_bench: node repeat ${r + 1}: ${n.images_per_sec} (${n.images_per_cpu_sec.toFixed(1)} per CPU-s) img/s (load ${load()})`);
  }
} finally {
  await srv.stop();
  ds.cleanup();
}

// figures: medians over the repeats of wall img/s, the best repeat, and images per CPU second
const figs = (xs, key) => (xs.length ? { med: median(xs.map((x) => x[key])), best: Math.max(...xs.map((x) => x[key])) }
  : { med: NaN, best: NaN });
const fig = { node: { wall: figs(results.node, 'images_per_sec'), cpu: figs(results.node, 'images_per_cpu_sec') } };
const rows = [['Node 20, engine bench', fig.node]];
for (const name of BROWSERS) {
  const { page, engine } = results[name];
  fig[name] = {
    engine: { wall: figs(engine, 'images_per_sec'), cpu: figs(engine, 'images_per_cpu_sec') },
    page: { wall: figs(page, 'train'), cpu: figs(page, 'images_per_cpu_sec') },
    pageWall: { wall: figs(page, 'wall'), cpu: figs(page, 'images_per_cpu_sec') },
    evalSeconds: page.length ? median(page.map((p) => p.evalSeconds)) : NaN,
    wallSeconds: page.length ? median(page.map((p) => p.wallSeconds)) : NaN,
  };
  rows.push([`${name}: engine bench in a page worker`, fig[name].engine]);
  if (page.length) {
    rows.push([`${name}: page, training time`, fig[name].page]);
    rows.push([`${name}: page, wall (with evaluation etc.)`, fig[name].pageWall]);
  }
}
const cfg = results[BROWSERS[0]].page[0]?.config || { batch: 128 };
console.log(`page_bench: ${cfg.preset || 'default'} model, ${opt.norm}, batch ${cfg.batch}, ${THREADS} threads, `
  + `${results.node[0] ? Math.round(results.node[0].seconds * results.node[0].images_per_sec / cfg.batch) : '?'} steps `
  + `(${opt.epochs} epochs of ${opt.train} images, ${opt.test} test), `
  + `${REPEATS} repeats; load average before ${loadBefore}, after ${load()}`);
for (const name of BROWSERS) console.log(`  ${name}: ${results.versions[name]}`);
console.log('img/s: median of the repeats (best); per CPU-s: images per CPU second of all the browser\'s processes '
  + '(the page: click to end of run; the engines: timed steps only)');
console.log(`${'configuration'.padEnd(42)} ${'img/s'.padStart(7)} ${'(best)'.padStart(8)} ${'vs Node'.padStart(8)} ${'per CPU-s'.padStart(10)} ${'vs Node'.padStart(8)}`);
const x = (a, b) => `${(a / b).toFixed(2)}x`;
for (const [label, f] of rows) {
  console.log(`${label.padEnd(42)} ${f.wall.med.toFixed(1).padStart(7)} ${`(${f.wall.best.toFixed(1)})`.padStart(8)} `
    + `${x(f.wall.med, fig.node.wall.med).padStart(8)} ${f.cpu.med.toFixed(1).padStart(10)} ${x(f.cpu.med, fig.node.cpu.med).padStart(8)}`);
}
for (const name of BROWSERS.filter((b) => results[b].page.length)) {
  const f = fig[name];
  console.log(`${name}: page / Node ${x(f.page.wall.med, fig.node.wall.med)} (best ${x(f.page.wall.best, fig.node.wall.best)}), `
    + `page / engine in the same browser ${x(f.page.wall.med, f.engine.wall.med)}; `
    + `evaluation ${f.evalSeconds.toFixed(1)} s of ${f.wallSeconds.toFixed(1)} s wall`);
}
if (fig.chromium && fig.firefox) {
  const c = fig.chromium;
  const f = fig.firefox;
  console.log(`firefox / chromium: page ${x(f.page.wall.med, c.page.wall.med)} (best ${x(f.page.wall.best, c.page.wall.best)}, `
    + `per CPU-s ${x(f.page.cpu.med, c.page.cpu.med)}), engine ${x(f.engine.wall.med, c.engine.wall.med)} `
    + `(best ${x(f.engine.wall.best, c.engine.wall.best)}, per CPU-s ${x(f.engine.cpu.med, c.engine.cpu.med)})`);
}
if (opt.json) writeFileSync(opt.json, `${JSON.stringify({ options: opt, results, figures: fig }, null, 1)}\n`);
