// Helpers of the browser tests: a synthetic CIFAR-10 data set in the official binary layout,
// the page server (tools/serve.mjs) on a free port, and headless Debian Chromium through
// playwright-core (npm install; no browser download).
// Environment: NL_CHROMIUM (default /usr/bin/chromium), NL_WEB_WASM (default web/wasm/).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { BATCH_NAMES, makeTarGz } from '../node/support_cifar.mjs';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const ARTIFACTS = join(ROOT, 'tests', 'artifacts');
export const CHROMIUM = process.env.NL_CHROMIUM || '/usr/bin/chromium';
export { BATCH_NAMES };
const COLOURS = [[220, 50, 50], [50, 200, 60], [60, 70, 220], [220, 210, 50], [210, 60, 210], [50, 200, 210],
  [140, 140, 140], [240, 150, 60], [100, 40, 150], [30, 100, 70]];

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * n CIFAR records with class-dependent colour and stripe patterns plus noise; a share of
 * the labels is replaced at random (so a short run still makes mistakes to show).
 */
export function makeBatch(n, seed, labelNoise = 0.15) {
  const rand = rng(seed);
  const out = new Uint8Array(n * 3073);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rand() * 10);
    const rec = i * 3073;
    out[rec] = rand() < labelNoise ? Math.floor(rand() * 10) : c;
    const period = 2 + (c % 3);
    for (let ch = 0; ch < 3; ch++) {
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) {
          const stripe = c < 5 ? (y >> period) & 1 : ((x + y) >> period) & 1;
          const v = COLOURS[c][ch] * (stripe ? 1 : 0.55) + (rand() - 0.5) * 110;
          out[rec + 1 + ch * 1024 + y * 32 + x] = Math.max(0, Math.min(255, Math.round(v)));
        }
      }
    }
  }
  return out;
}

/** The six batch files: nTrain images over data_batch_1..5, nTest in test_batch. */
export function makeBatches(nTrain = 480, nTest = 128, seed = 7) {
  const batches = [];
  let left = nTrain;
  for (let b = 0; b < 5; b++) {
    const n = Math.ceil(left / (5 - b));
    batches.push(makeBatch(n, seed * 100 + b, 0.1));
    left -= n;
  }
  batches.push(makeBatch(nTest, seed * 100 + 99, 0.2));
  return batches;
}

/**
 * Writes a synthetic data set to a fresh temporary folder.
 * @returns {{dir: string, tgz: string, damaged: string, bins: string[], cleanup: () => void}}
 */
export function writeDataset(opts = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'normlab-browser-'));
  const batches = makeBatches(opts.train ?? 480, opts.test ?? 128, opts.seed ?? 7);
  const tgzBytes = makeTarGz(batches);
  const tgz = join(dir, 'cifar-10-binary.tar.gz');
  writeFileSync(tgz, tgzBytes);
  // damaged: the gzip stream cut in the middle and some bytes flipped
  const damagedBytes = Buffer.from(tgzBytes.subarray(0, Math.floor(tgzBytes.length * 0.6)));
  for (let i = 200; i < damagedBytes.length; i += 997) damagedBytes[i] ^= 0x5a;
  const damaged = join(dir, 'damaged', 'cifar-10-binary.tar.gz');
  mkdirSync(join(dir, 'damaged'));
  writeFileSync(damaged, damagedBytes);
  const binDir = join(dir, 'cifar-10-batches-bin');
  mkdirSync(binDir);
  const bins = BATCH_NAMES.map((n, i) => {
    const p = join(binDir, n);
    writeFileSync(p, batches[i]);
    return p;
  });
  return { dir, tgz, damaged, bins, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Starts tools/serve.mjs on a free port.
 * @param {string[]} args extra arguments (--data, --no-isolation)
 * @returns {Promise<{url: string, stop: () => Promise<void>, output: () => string}>}
 */
export function startServer(args = []) {
  return new Promise((resolve, reject) => {
    const wasm = process.env.NL_WEB_WASM && !args.includes('--wasm') ? ['--wasm', process.env.NL_WEB_WASM] : [];
    const proc = spawn(process.execPath, [join(ROOT, 'tools', 'serve.mjs'), '--port', '0', ...wasm, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NORMLAB_CIFAR: '' },
    });
    let out = '';
    const timer = setTimeout(() => {
      proc.kill();
      reject(new Error(`serve.mjs did not start:\n${out}`));
    }, 10000);
    const onData = (d) => {
      out += d;
      const m = out.match(/serving (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1],
          output: () => out,
          stop: () => new Promise((r) => {
            if (proc.exitCode !== null) return r();
            proc.once('exit', () => r());
            proc.kill('SIGTERM');
          }),
        });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', (d) => { out += d; });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve.mjs exited with ${code}:\n${out}`));
    });
  });
}

/** Where the page's Wasm build is: web/wasm/ (wasm_bindings/build.sh), or $NL_WEB_WASM. */
export const WEB_WASM = process.env.NL_WEB_WASM || join(ROOT, 'web', 'wasm');

/** Fails early with the build command when the Wasm build is missing. */
export function requireWasmBuild() {
  for (const f of ['normlab.js', 'normlab-simd.js', 'normlab-simd.wasm', 'normlab-simd-mt.js', 'normlab-simd-mt.worker.js']) {
    const p = join(WEB_WASM, f);
    if (!existsSync(p)) {
      throw new Error(`${p} is missing: run wasm_bindings/build.sh first`);
    }
  }
}

/**
 * Headless Debian Chromium with a fresh profile.
 * @param {{viewport?: {width: number, height: number}, handleSignals?: boolean, serviceWorkers?: 'allow'|'block'}} [opts]
 *   handleSignals: false leaves Ctrl-C / SIGTERM to the caller (Playwright's own handler exits at once, skipping the
 *   caller's cleanup); serviceWorkers: 'block' is a browser without service workers (no isolation on static hosts)
 * @returns {Promise<{context: import('playwright-core').BrowserContext, close: () => Promise<void>}>}
 */
export async function launch(opts = {}) {
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    throw new Error('playwright-core is missing: run npm install (or npm ci) at the repository root');
  }
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (apt-get install chromium, or set NL_CHROMIUM)`);
  const profile = mkdtempSync(join(tmpdir(), 'normlab-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: opts.viewport || { width: 1280, height: 800 },
    acceptDownloads: true,
    ...(opts.serviceWorkers ? { serviceWorkers: opts.serviceWorkers } : {}),
    ...(opts.handleSignals === false ? { handleSIGINT: false, handleSIGTERM: false } : {}),
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * The usual set-up of a page test: a synthetic data set (or the given one), the server
 * (serving it unless serveData is false), Chromium and one page whose errors are collected.
 * Fills `env` ({ds, srv, browser, page, errors}); close() undoes what was set up, also after a
 * failure half-way (call it from after()).
 * @param {{train?: number, test?: number, seed?: number, ds?: any, serveData?: boolean,
 *   serverArgs?: string[], viewport?: {width: number, height: number}, launch?: object}} [o]
 */
export async function openPlayground(o = {}) {
  const env = { ds: null, srv: null, browser: null, page: null, errors: null };
  env.close = async () => {
    await env.browser?.close();
    await env.srv?.stop();
    if (!o.ds) env.ds?.cleanup();
  };
  requireWasmBuild();
  env.ds = o.ds || writeDataset({ train: o.train, test: o.test, seed: o.seed });
  try {
    env.srv = await startServer([...(o.serverArgs || []), ...(o.serveData === false ? [] : ['--data', env.ds.tgz])]);
    env.browser = await launch({ viewport: o.viewport || { width: 1280, height: 800 }, ...(o.launch || {}) });
    env.page = await env.browser.context.newPage();
    env.errors = watchErrors(env.page);
  } catch (e) {
    await env.close();
    throw e;
  }
  return env;
}

/** Collects console errors and uncaught page errors of a page. */
export function watchErrors(page) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return errors;
}

/** Number of pixels of a canvas that differ from its top-left (background) pixel. */
export function inkPixels(page, selector) {
  return page.$eval(selector, (c) => {
    const ctx = c.getContext('2d');
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (Math.abs(d[i] - d[0]) + Math.abs(d[i + 1] - d[1]) + Math.abs(d[i + 2] - d[2]) > 30) n++;
    }
    return n;
  });
}

/**
 * Pixels of a line chart in a run's colour (so axes and text do not count).
 * @param {string} hex '#rrggbb'
 */
export function colourPixels(page, selector, hex) {
  return page.$eval(selector, (c, colour) => {
    const r = parseInt(colour.slice(1, 3), 16);
    const g = parseInt(colour.slice(3, 5), 16);
    const b = parseInt(colour.slice(5, 7), 16);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) < 40) n++;
    }
    return n;
  }, hex);
}

export function artifactPath(name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}
