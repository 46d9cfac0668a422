// tools/serve.mjs: headers for cross-origin isolation, MIME types, the data set and its
// config endpoint, path traversal, and the --no-isolation switch. (No browser needed.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { ROOT, startServer, writeDataset } from './support.mjs';
import { parseArgs, safeJoin } from '../../tools/serve.mjs';

let ds;
let srv;
let plain;
before(async () => {
  ds = writeDataset({ train: 60, test: 20 });
  srv = await startServer(['--data', ds.tgz]);
  plain = await startServer(['--no-isolation', '--data', join(ds.dir, 'cifar-10-batches-bin')]);
});
after(async () => {
  await srv?.stop();
  await plain?.stop();
  ds?.cleanup();
});

/** A raw GET (fetch would normalise "../" away). */
function rawGet(base, path, method = 'GET') {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('prints the URL and serves the page with COOP/COEP/CORP', async () => {
  assert.match(srv.output(), /normlab: serving http:\/\/127\.0\.0\.1:\d+\//);
  const res = await fetch(srv.url);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(res.headers.get('cross-origin-opener-policy'), 'same-origin');
  assert.equal(res.headers.get('cross-origin-embedder-policy'), 'require-corp');
  assert.equal(res.headers.get('cross-origin-resource-policy'), 'same-origin');
  assert.match(await res.text(), /<title>normlab/);
});

test('MIME types of the page and the Wasm build', async () => {
  const cases = [
    ['app.js', 'text/javascript; charset=utf-8'],
    ['worker.js', 'text/javascript; charset=utf-8'],
    ['lib/settings.js', 'text/javascript; charset=utf-8'],
    ['style.css', 'text/css; charset=utf-8'],
    ['favicon.svg', 'image/svg+xml'],
    ['wasm/normlab.js', 'text/javascript; charset=utf-8'],
    ['wasm/normlab-simd.js', 'text/javascript; charset=utf-8'],
    ['wasm/normlab-simd.wasm', 'application/wasm'],
    ['wasm/normlab-simd-mt.wasm', 'application/wasm'],
    ['wasm/normlab-simd-mt.worker.js', 'text/javascript; charset=utf-8'],
  ];
  for (const [path, type] of cases) {
    const res = await fetch(new URL(path, srv.url));
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get('content-type'), type, path);
    assert.equal(res.headers.get('cross-origin-embedder-policy'), 'require-corp', path);
    await res.arrayBuffer();
  }
});

test('/api/config and the data set (a .tar.gz)', async () => {
  const cfg = await (await fetch(new URL('api/config', srv.url))).json();
  assert.equal(cfg.isolation, true);
  assert.equal(cfg.dataset.kind, 'targz');
  assert.equal(cfg.dataset.name, 'cifar-10-binary.tar.gz');
  assert.equal(cfg.dataset.files.length, 1);
  const res = await fetch(new URL(cfg.dataset.files[0].url, srv.url));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/gzip');
  assert.ok(Buffer.from(await res.arrayBuffer()).equals(readFileSync(ds.tgz)));
  assert.equal((await fetch(new URL('dataset/other.bin', srv.url))).status, 404);
});

test('a folder of .bin files as the data set; --no-isolation leaves the headers out', async () => {
  const cfg = await (await fetch(new URL('api/config', plain.url))).json();
  assert.equal(cfg.isolation, false);
  assert.equal(cfg.dataset.kind, 'batches');
  assert.deepEqual(cfg.dataset.files.map((f) => f.name), ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin',
    'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin']);
  const res = await fetch(new URL(cfg.dataset.files[5].url, plain.url));
  assert.ok(Buffer.from(await res.arrayBuffer()).equals(readFileSync(ds.bins[5])));
  const page = await fetch(plain.url);
  assert.equal(page.headers.get('cross-origin-opener-policy'), null);
  assert.equal(page.headers.get('cross-origin-embedder-policy'), null);
  await page.text();
  assert.match(plain.output(), /isolation OFF/);
});

test('no data set: the config says so and /dataset/ is 404', async () => {
  const s = await startServer([]);
  try {
    const cfg = await (await fetch(new URL('api/config', s.url))).json();
    assert.equal(cfg.dataset, null);
    assert.equal((await fetch(new URL('dataset/cifar-10-binary.tar.gz', s.url))).status, 404);
  } finally {
    await s.stop();
  }
});

test('path traversal and odd requests are refused', async () => {
  for (const path of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/wasm/../../tools/serve.mjs',
    '/wasm/%2e%2e/%2e%2e/tools/serve.mjs', '/lib/..%5c..%5cpackage.json', '/%00', '/%E0%A4%A', '/dataset/..%2f..%2fetc%2fpasswd', '/assets/%2e%2e/tools/run.sh', '/assets/..%2fpackage.json']) {
    const res = await rawGet(srv.url, path);
    assert.ok([400, 404].includes(res.status), `${path}: ${res.status}`);
    assert.ok(!res.body.toString().includes('"devDependencies"'), path);
    assert.ok(!res.body.toString().includes('createPlaygroundServer'), path);
  }
  const post = await rawGet(srv.url, '/', 'POST');
  assert.equal(post.status, 405);
  const head = await rawGet(srv.url, '/charts.js', 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  assert.ok(Number(head.headers['content-length']) > 1000);
  assert.equal((await rawGet(srv.url, '/nope.html')).status, 404);
  assert.equal((await rawGet(srv.url, '/lib/')).status, 404); // no directory listings
  const root = join(ROOT, 'web');
  assert.equal(safeJoin(root, '/a/../../b'), null);
  assert.equal(safeJoin(root, '/a/b.js'), join(root, 'a', 'b.js'));
  assert.equal(safeJoin(root, '/'), root);
});

test('command line: options, errors and help', () => {
  assert.deepEqual(parseArgs(['--port', '0', '--no-isolation', '--data=x.tgz']),
    { port: 0, host: '127.0.0.1', data: 'x.tgz', wasm: null, isolation: false, fetch: false });
  assert.equal(parseArgs(['--fetch']).fetch, true);
  assert.throws(() => parseArgs(['--port', 'abc']), /--port must be/);
  assert.throws(() => parseArgs(['--port']), /needs a value/);
  assert.throws(() => parseArgs(['--bogus']), /unknown option/);
  const bad = spawnSync(process.execPath, [join(ROOT, 'tools', 'serve.mjs'), '--data', '/nonexistent/x.tar.gz'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /does not exist/);
  const help = spawnSync(process.execPath, [join(ROOT, 'tools', 'serve.mjs'), '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--no-isolation/);
});
