// tools/fetch_cifar.mjs against a local HTTP server (node:http on 127.0.0.1) serving a small
// synthetic cifar-10-binary.tar.gz (its MD5 passed as the test-only override): a good
// download lands in the cache; a connection cut half-way is resumed with HTTP Range; a
// corrupt file gives a clear error and caches nothing; a server that is gone means "use the
// sample"; then tools/serve.mjs --fetch serves the download, or says it uses the sample.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import {
  FILE_NAME, OFFICIAL_MD5, cacheDir, downloadCifar, obtainCifar,
} from '../../tools/fetch_cifar.mjs';
import { makeBatches, makeTarGz } from './support_cifar.mjs';
import { ROOT } from './support_wasm.mjs';

const archive = Buffer.from(makeTarGz(makeBatches(300, 100, 4)));
const md5 = createHash('md5').update(archive).digest('hex');
const quiet = { log: () => {}, onProgress: () => {} };
let tmp;

/**
 * A local server of `body` at /cifar-10-binary.tar.gz. mode: 'good', 'cut-once' (the first
 * response stops after half the bytes), 'no-range' (ignores Range). Records the Range headers.
 */
function serveArchive(body, mode = 'good') {
  const seen = [];
  let cuts = mode === 'cut-once' ? 1 : 0;
  const server = createServer((req, res) => {
    seen.push(req.headers.range || null);
    if (req.url === '/moved') {
      res.writeHead(302, { Location: '/cifar-10-binary.tar.gz' });
      return res.end();
    }
    if (req.url !== '/cifar-10-binary.tar.gz') {
      res.writeHead(404);
      return res.end();
    }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range || '');
    if (m && mode !== 'no-range') {
      const from = Number(m[1]);
      res.writeHead(206, { 'Content-Length': body.length - from, 'Content-Range': `bytes ${from}-${body.length - 1}/${body.length}` });
      return res.end(body.subarray(from));
    }
    res.writeHead(200, { 'Content-Length': body.length });
    if (cuts > 0) {
      cuts--;
      res.write(body.subarray(0, body.length >> 1), () => setTimeout(() => res.socket.destroy(), 20));
      return undefined;
    }
    return res.end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    resolve({
      url: `http://127.0.0.1:${port}/cifar-10-binary.tar.gz`,
      base: `http://127.0.0.1:${port}`,
      seen,
      close: () => new Promise((r) => { server.close(r); server.closeAllConnections(); }),
    });
  }));
}

before(() => { tmp = mkdtempSync(join(tmpdir(), 'normlab-fetch-')); });
after(() => rmSync(tmp, { recursive: true, force: true }));
const freshDir = (name) => join(tmp, name);

test('the cache folder follows XDG_CACHE_HOME, else ~/.cache', () => {
  assert.equal(cacheDir({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/u' }), '/x/cache/normlab');
  assert.equal(cacheDir({ HOME: '/home/u' }), '/home/u/.cache/normlab');
  assert.equal(cacheDir({ XDG_CACHE_HOME: 'relative', HOME: '/home/u' }), '/home/u/.cache/normlab');
  assert.equal(OFFICIAL_MD5, 'c58f30108f718f92721af3b95e74349a');
});

test('a good file: downloaded with progress, verified, renamed into the cache; then a cache hit', async () => {
  const srv = await serveArchive(archive);
  const dir = freshDir('good');
  try {
    const progress = [];
    const path = await downloadCifar({ url: `${srv.base}/moved`, md5, dir, log: () => {}, onProgress: (p) => progress.push(p) });
    assert.equal(path, join(dir, FILE_NAME));
    assert.deepEqual(readFileSync(path), archive);
    assert.deepEqual(readdirSync(dir), [FILE_NAME], 'no .part left');
    assert.ok(progress.length >= 1);
    assert.deepEqual(progress.at(-1), { loaded: archive.length, total: archive.length });
    // obtainCifar finds it in the cache without asking the server again
    const before = srv.seen.length;
    const r = await obtainCifar({ env: { XDG_CACHE_HOME: tmp, NORMLAB_CIFAR_URL: srv.url }, dir, ...quiet });
    assert.deepEqual(r, { path, source: 'cache' });
    assert.equal(srv.seen.length, before);
  } finally {
    await srv.close();
  }
});

test('NORMLAB_CIFAR overrides the cache and the download', async () => {
  const file = join(tmp, 'mine.tar.gz');
  writeFileSync(file, archive);
  assert.deepEqual(await obtainCifar({ env: { NORMLAB_CIFAR: file }, ...quiet }), { path: file, source: 'env' });
  await assert.rejects(obtainCifar({ env: { NORMLAB_CIFAR: join(tmp, 'nope') }, ...quiet }), /NORMLAB_CIFAR=.*does not exist/);
});

test('a cut connection is resumed with HTTP Range, in the same run', async () => {
  const srv = await serveArchive(archive, 'cut-once');
  const dir = freshDir('cut');
  try {
    const logs = [];
    const path = await downloadCifar({ url: srv.url, md5, dir, retryDelayMs: 10, log: (s) => logs.push(s), onProgress: () => {} });
    assert.deepEqual(readFileSync(path), archive);
    assert.equal(srv.seen[0], null);
    assert.match(srv.seen[1] || '', /^bytes=\d+-$/, `second request: ${srv.seen[1]}`);
    const from = Number(/\d+/.exec(srv.seen[1])[0]);
    assert.ok(from > 0 && from <= archive.length >> 1, `resumed at ${from}`);
    assert.ok(logs.some((l) => /resuming the download at/.test(l)), logs.join('\n'));
  } finally {
    await srv.close();
  }
});

test('a cut connection is resumed by the next run (the .part file is kept)', async () => {
  const srv = await serveArchive(archive, 'cut-once');
  const dir = freshDir('cut2');
  try {
    await assert.rejects(downloadCifar({ url: srv.url, md5, dir, retries: 0, ...quiet }), (e) => e.kind === 'cut');
    assert.ok(existsSync(join(dir, `${FILE_NAME}.part`)));
    assert.ok(!existsSync(join(dir, FILE_NAME)));
    const path = await downloadCifar({ url: srv.url, md5, dir, ...quiet });
    assert.deepEqual(readFileSync(path), archive);
    assert.match(srv.seen.at(-1), /^bytes=\d+-$/);
  } finally {
    await srv.close();
  }
});

test('a server that ignores Range: the download starts again and still verifies', async () => {
  const srv = await serveArchive(archive, 'no-range');
  const dir = freshDir('norange');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${FILE_NAME}.part`), archive.subarray(0, 1000)); // a partial from an earlier run
  try {
    const path = await downloadCifar({ url: srv.url, md5, dir, ...quiet });
    assert.deepEqual(readFileSync(path), archive);
    assert.match(srv.seen[0], /^bytes=1000-$/);
  } finally {
    await srv.close();
  }
});

test('a corrupt file: a clear error and nothing cached', async () => {
  const bad = Buffer.from(archive);
  bad[bad.length >> 1] ^= 0xff;
  const srv = await serveArchive(bad);
  const dir = freshDir('corrupt');
  try {
    await assert.rejects(downloadCifar({ url: srv.url, md5, dir, ...quiet }),
      (e) => e.kind === 'integrity' && /has MD5 [0-9a-f]{32}, expected [0-9a-f]{32}.*deleted and nothing was cached/.test(e.message));
    assert.deepEqual(readdirSync(dir), []);
    // through obtainCifar (what run.sh and serve.mjs use): no path, the reason for the user
    const r = await obtainCifar({ env: { NORMLAB_CIFAR_URL: srv.url, NORMLAB_CIFAR_MD5: md5 }, dir, ...quiet });
    assert.equal(r.path, null);
    assert.match(r.reason, /the download was bad: .*MD5/);
    assert.deepEqual(readdirSync(dir), []);
    // the official MD5 is the default: the synthetic file does not pass it
    const srv2 = await serveArchive(archive);
    try {
      await assert.rejects(downloadCifar({ url: srv2.url, dir, ...quiet }), new RegExp(`expected ${OFFICIAL_MD5}`));
    } finally {
      await srv2.close();
    }
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    await srv.close();
  }
});

test('an HTTP error: nothing cached', async () => {
  const srv = await serveArchive(archive);
  const dir = freshDir('http404');
  try {
    await assert.rejects(downloadCifar({ url: `${srv.base}/elsewhere.tar.gz`, md5, dir, ...quiet }), /HTTP 404/);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    await srv.close();
  }
});

test('the server is gone: no path, "cannot reach", nothing cached', async () => {
  const srv = await serveArchive(archive);
  await srv.close();
  const dir = freshDir('gone');
  const r = await obtainCifar({ env: { NORMLAB_CIFAR_URL: srv.url, NORMLAB_CIFAR_MD5: md5 }, dir, ...quiet });
  assert.equal(r.path, null);
  assert.match(r.reason, /could not download CIFAR-10: cannot reach 127\.0\.0\.1:\d+: ECONNREFUSED/);
  assert.deepEqual(readdirSync(dir), []);
});

/** Runs serve.mjs with args and env until it prints its URL; returns {url, out, stop}. */
function startServe(args, env) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [join(ROOT, 'tools', 'serve.mjs'), '--port', '0', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NORMLAB_CIFAR: '', ...env },
    });
    let out = '';
    const timer = setTimeout(() => { proc.kill(); reject(new Error(`serve.mjs did not start:\n${out}`)); }, 20000);
    const onData = (d) => {
      out += d;
      const m = out.match(/serving (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1],
          out: () => out,
          stop: () => new Promise((r) => { proc.once('exit', r); proc.kill('SIGTERM'); }),
        });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`serve.mjs exited with ${code}:\n${out}`)); });
  });
}

test('serve.mjs --fetch downloads into the cache and serves it; /assets/ is served', async () => {
  const srv = await serveArchive(archive);
  const cache = join(tmp, 'xdg1');
  const app = await startServe(['--fetch'], { XDG_CACHE_HOME: cache, NORMLAB_CIFAR_URL: srv.url, NORMLAB_CIFAR_MD5: md5 });
  try {
    const cfg = await (await fetch(`${app.url}api/config`)).json();
    assert.equal(cfg.dataset.name, FILE_NAME);
    assert.equal(cfg.dataset.size, archive.length);
    const got = Buffer.from(await (await fetch(`${app.url}${cfg.dataset.files[0].url.slice(1)}`)).arrayBuffer());
    assert.deepEqual(got, archive);
    assert.deepEqual(readFileSync(join(cache, 'normlab', FILE_NAME)), archive);
    assert.match(app.out(), /data set: .*normlab\/cifar-10-binary\.tar\.gz/);
    const sample = await fetch(`${app.url}assets/cifar-10-sample.json`);
    assert.equal(sample.status, 200);
    assert.equal((await sample.json()).train, 2000);
    assert.equal((await fetch(`${app.url}assets/../tools/run.sh`)).status, 404);
  } finally {
    await app.stop();
    await srv.close();
  }
});

test('serve.mjs --fetch without network: serves the page, which uses the sample, and says so', async () => {
  const srv = await serveArchive(archive);
  await srv.close();
  const cache = join(tmp, 'xdg2');
  const app = await startServe(['--fetch'], { XDG_CACHE_HOME: cache, NORMLAB_CIFAR_URL: srv.url, NORMLAB_CIFAR_MD5: md5 });
  try {
    const cfg = await (await fetch(`${app.url}api/config`)).json();
    assert.equal(cfg.dataset, null);
    assert.match(app.out(), /could not download CIFAR-10: cannot reach/);
    assert.match(app.out(), /the page uses the CIFAR-10 sample in assets\/ \(2,000 \+ 500 images\)/);
    assert.ok(!existsSync(join(cache, 'normlab', FILE_NAME)));
  } finally {
    await app.stop();
  }
});
