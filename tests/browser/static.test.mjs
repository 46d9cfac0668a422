// First visit without a data set, and static hosting:
//  - tools/serve.mjs --no-isolation (no COOP/COEP headers, no data set): web/coi-serviceworker.js
//    registers, reloads the page once, and the page becomes cross-origin isolated and uses the
//    multi-threaded build; with nothing better, it loads the built-in sample from /assets/, says
//    it is a sample, and trains on it; a reload stays isolated without another reload;
//  - serve.mjs --fetch without network (what tools/run.sh runs): isolated by the server's
//    headers, no service worker, ready to train on the sample;
//  - a plain static file server of the repository (no /api/config, no headers, page at /web/):
//    the same, with the sample found one level up (../assets/).
import assert from 'node:assert/strict';
import { mkdtempSync, promises as fsp, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { after, before, test } from 'node:test';

import { MIME, safeJoin } from '../../tools/serve.mjs';
import {
  ROOT, artifactPath, launch, requireWasmBuild, startServer, watchErrors,
} from './support.mjs';

let srv;
let browser;

/** A dumb static host of the repository: files only, no special headers, 404 otherwise. */
function staticHost() {
  const server = createServer(async (req, res) => {
    const path = safeJoin(ROOT.replace(/\/$/, ''), new URL(req.url, 'http://x').pathname);
    let file = path;
    try {
      if ((await fsp.stat(file)).isDirectory()) file = join(file, 'index.html');
      const body = await fsp.readFile(file);
      res.writeHead(200, { 'Content-Type': MIME[extname(file)] || 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () => new Promise((r) => { server.close(r); server.closeAllConnections(); }),
  })));
}

before(async () => {
  requireWasmBuild();
  srv = await startServer(['--no-isolation']);
  browser = await launch({ viewport: { width: 1280, height: 900 } });
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

const ready = (page) => page.waitForFunction(() => document.documentElement.dataset.dataset === 'ready'
  && document.documentElement.dataset.engine, null, { timeout: 90000 });

async function expectIsolatedWithSample(page, { controlled = true } = {}) {
  assert.equal(await page.evaluate(() => self.crossOriginIsolated), true);
  assert.equal(await page.evaluate(() => !!navigator.serviceWorker.controller), controlled);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.engine), 'mt');
  assert.ok((await page.evaluate(() => window.normlab.state.engine.threads)) >= 2);
  assert.equal(await page.evaluate(() => window.normlab.state.engine.kernels), 'wasmsimd'); // V8's set
  assert.equal(await page.isVisible('#banner-isolation'), false);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.datasetKind), 'sample');
  assert.equal(await page.evaluate(() => window.normlab.state.data.sample), true);
  assert.equal(await page.textContent('#count-train'), '2,000');
  assert.equal(await page.textContent('#count-test'), '500');
  assert.equal(await page.textContent('#count-classes'), '10');
  const src = await page.textContent('#data-source');
  assert.match(src, /^Built-in sample of CIFAR-10: 2,000 training and 500 test images \(200 \+ 50 per class\), not the full set/);
  assert.match(src, /bash tools\/run\.sh .*cifar-10-binary\.tar\.gz/);
  assert.equal(await page.getAttribute('#data-source a', 'href'), 'https://www.cs.toronto.edu/~kriz/cifar.html');
  assert.equal(await page.textContent('#data-badge'), 'CIFAR-10 sample · 2,000 + 500 images');
}

test('serve.mjs --no-isolation: the service worker isolates the page, which trains on the sample', async () => {
  const page = await browser.context.newPage();
  const errors = watchErrors(page);
  let navigations = 0;
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations++; });
  await page.goto(`${srv.url}#norm=bn&epochs=1&batch=100`);
  await ready(page);
  assert.equal(navigations, 2, 'one reload by the service worker');
  await expectIsolatedWithSample(page);
  await page.screenshot({ path: artifactPath('static-sample-ready.png') });

  await page.click('#start');
  await page.waitForFunction(() => document.documentElement.dataset.training === 'idle'
    && window.normlab.state.runs[0]?.status === 'finished', null, { timeout: 180000 });
  const run = await page.evaluate(() => {
    const r = window.normlab.state.runs[0];
    return { label: r.label, epochs: r.epochs.length, steps: r.globalStep, mis: r.finalEval.mis.length, n: r.finalEval.n };
  });
  assert.deepEqual({ ...run, n: undefined }, { label: 'BN', epochs: 1, steps: 20, mis: 10, n: undefined });

  // A reload is served by the worker at once: isolated, no further reload, the sample again.
  navigations = 0;
  await page.reload();
  await ready(page);
  assert.equal(navigations, 1);
  await expectIsolatedWithSample(page);
  assert.deepEqual(errors, []);
  await page.close();
});

test('what tools/run.sh runs without network (serve.mjs --fetch): isolated by the server, ready on the sample', async () => {
  const cache = mkdtempSync(join(tmpdir(), 'normlab-xdg-'));
  const saved = { url: process.env.NORMLAB_CIFAR_URL, xdg: process.env.XDG_CACHE_HOME };
  process.env.NORMLAB_CIFAR_URL = 'http://127.0.0.1:9/cifar-10-binary.tar.gz'; // nothing listens there
  process.env.XDG_CACHE_HOME = cache;
  let app;
  try {
    app = await startServer(['--fetch']);
  } finally {
    for (const [k, v] of [['NORMLAB_CIFAR_URL', saved.url], ['XDG_CACHE_HOME', saved.xdg]]) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  try {
    assert.match(app.output(), /could not download CIFAR-10: cannot reach 127\.0\.0\.1:9/);
    assert.match(app.output(), /the page uses the CIFAR-10 sample in assets\//);
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    await page.goto(app.url);
    await ready(page);
    assert.equal(await page.evaluate(() => document.documentElement.dataset.coi), undefined, 'no service worker needed');
    await expectIsolatedWithSample(page, { controlled: false });
    assert.equal(await page.isDisabled('#start'), false);
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await app.stop();
    rmSync(cache, { recursive: true, force: true });
  }
});

test('a plain static host (repository as it is, page at /web/): isolated by the worker, sample from ../assets/', async () => {
  const host = await staticHost();
  try {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${host.url}web/#norm=gn&epochs=1`);
    await ready(page);
    await expectIsolatedWithSample(page);
    // The empty card's "Use the built-in sample" button loads it again (the page's own path for
    // it after "Forget data set").
    await page.evaluate(() => {
      window.sampleLoads = 0;
      new MutationObserver(() => {
        if (document.documentElement.dataset.dataset === 'ready') window.sampleLoads++;
      }).observe(document.documentElement, { attributes: true, attributeFilter: ['data-dataset'] });
      document.documentElement.dataset.dataset = 'reloading';
      document.getElementById('data-sample').click();
    });
    await page.waitForFunction(() => window.sampleLoads === 1, null, { timeout: 60000 });
    assert.equal(await page.textContent('#count-train'), '2,000');
    // The only failed loads are the server API the static host does not have (/api/config)
    // and the sample looked for beside the page first (web/assets/).
    assert.deepEqual(errors.filter((e) => !/Failed to load resource: .*404/.test(e)), []);
    await page.close();
  } finally {
    await host.close();
  }
});
