#!/usr/bin/env node
// Serves the normlab playground (no dependencies):
//   /            -> web/
//   /wasm/       -> the Wasm build as wasm_bindings/build.sh installs it for the page: web/wasm/
//                   (normlab.js + normlab-simd*.js/.wasm); --wasm DIR to serve another folder
//   /assets/     -> assets/ (the small CIFAR-10 sample the page uses when nothing better is there)
//   /api/config  -> JSON: is a data set available, is the page cross-origin isolated
//   /dataset/... -> the CIFAR-10 data set given with --data PATH or $NORMLAB_CIFAR
//                   (cifar-10-binary.tar.gz, or a folder holding the six .bin files); with
//                   --fetch and neither, the official archive from the per-user cache or
//                   downloaded into it (tools/fetch_cifar.mjs); without network, none
// Every response carries Cross-Origin-Opener-Policy: same-origin,
// Cross-Origin-Embedder-Policy: require-corp and Cross-Origin-Resource-Policy: same-origin,
// so the page is cross-origin isolated and can use the multi-threaded (pthreads) build;
// --no-isolation leaves them out (to try the single-threaded fallback).
//
//   node tools/serve.mjs [--port 8080] [--host 127.0.0.1] [--data PATH | --fetch] [--wasm DIR] [--no-isolation]
// --port 0 picks a free port. Prints "normlab: serving http://HOST:PORT/" once listening.
import { createReadStream, existsSync, promises as fsp, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { basename, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

import { obtainCifar } from './fetch_cifar.mjs';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

export const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.gz': 'application/gzip',
  '.tgz': 'application/gzip',
  '.tar': 'application/x-tar',
  '.bin': 'application/octet-stream',
  '.ckpt': 'application/octet-stream',
};

const BATCH_NAMES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin',
  'data_batch_5.bin', 'test_batch.bin'];

function usage() {
  return `usage: node tools/serve.mjs [--port N] [--host ADDR] [--data PATH | --fetch] [--wasm DIR] [--no-isolation]
  --port N        port (default 8080; 0 = any free port)
  --host ADDR     address to listen on (default 127.0.0.1)
  --data PATH     cifar-10-binary.tar.gz, or a folder with data_batch_1..5.bin and test_batch.bin
                  (also a folder holding cifar-10-batches-bin/); default: $NORMLAB_CIFAR
  --fetch         without --data: the official cifar-10-binary.tar.gz from the per-user cache
                  ($XDG_CACHE_HOME/normlab or ~/.cache/normlab), downloaded there first if missing
                  (MD5-checked, resumable); without network the page uses the sample in assets/
  --wasm DIR      folder with normlab.js and the normlab-simd*.js/.wasm files (default: web/wasm,
                  where wasm_bindings/build.sh installs them)
  --no-isolation  no COOP/COEP headers: the page falls back to the single-threaded build`;
}

/** @param {string[]} argv @returns {{port:number, host:string, data:string|null, wasm:string|null, isolation:boolean}} */
export function parseArgs(argv) {
  const o = { port: 8080, host: '127.0.0.1', data: process.env.NORMLAB_CIFAR || null, wasm: null, isolation: true, fetch: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      if (i + 1 >= argv.length) throw new Error(`${flag} needs a value`);
      return argv[++i];
    };
    switch (flag) {
      case '--port': {
        const v = value();
        const p = Number(v);
        if (!/^\d+$/.test(v) || p > 65535) throw new Error(`--port must be 0..65535, got '${v}'`);
        o.port = p;
        break;
      }
      case '--host': o.host = value(); break;
      case '--data': o.data = value(); break;
      case '--wasm': o.wasm = value(); break;
      case '--no-isolation': o.isolation = false; break;
      case '--fetch': o.fetch = true; break;
      case '-h': case '--help': o.help = true; break;
      default: throw new Error(`unknown option '${a}'`);
    }
  }
  return o;
}

/**
 * Describes the data set at path: a .tar.gz file or a folder with the six batch files.
 * @returns {{kind:'targz'|'batches', name:string, size:number, files:Array<{name:string, path:string, size:number}>}}
 */
export function describeDataset(path) {
  const p = resolve(path);
  let st;
  try {
    st = statSync(p);
  } catch {
    throw new Error(`--data: ${p} does not exist`);
  }
  if (st.isFile()) {
    return { kind: 'targz', name: basename(p), size: st.size, files: [{ name: basename(p), path: p, size: st.size }] };
  }
  if (st.isDirectory()) {
    for (const dir of [p, join(p, 'cifar-10-batches-bin')]) {
      if (BATCH_NAMES.every((n) => existsSync(join(dir, n)))) {
        const files = BATCH_NAMES.map((n) => ({ name: n, path: join(dir, n), size: statSync(join(dir, n)).size }));
        return { kind: 'batches', name: basename(dir), size: files.reduce((s, f) => s + f.size, 0), files };
      }
    }
    const tgz = join(p, 'cifar-10-binary.tar.gz');
    if (existsSync(tgz)) return describeDataset(tgz);
    throw new Error(`--data: ${p} holds neither cifar-10-binary.tar.gz nor ${BATCH_NAMES.join(', ')}`);
  }
  throw new Error(`--data: ${p} is not a file or folder`);
}

/**
 * Maps a URL path below a folder to a file path, or null if it leaves the folder or is malformed.
 * @param {string} root absolute folder @param {string} urlPath path after the mount point ('/' separated)
 */
export function safeJoin(root, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const parts = decoded.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.some((s) => s === '..')) return null;
  const full = resolve(root, ...parts);
  if (full !== root && !full.startsWith(root + sep)) return null;
  return full;
}

/**
 * Creates the server (not listening yet).
 * @param {{data?:string|null, wasm?:string|null, isolation?:boolean, quiet?:boolean}} opts
 */
export function createPlaygroundServer(opts = {}) {
  const webDir = join(ROOT, 'web');
  const assetsDir = join(ROOT, 'assets');
  const wasmDir = resolve(opts.wasm || join(webDir, 'wasm'));
  const isolation = opts.isolation !== false;
  const dataset = opts.data ? describeDataset(opts.data) : null;

  const securityHeaders = {
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    ...(isolation ? {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
    } : {}),
  };

  function send(res, status, body, type = 'text/plain; charset=utf-8', extra = {}) {
    const buf = Buffer.from(body);
    res.writeHead(status, { ...securityHeaders, 'Content-Type': type, 'Content-Length': buf.length, 'Cache-Control': 'no-store', ...extra });
    res.end(res.req.method === 'HEAD' ? undefined : buf);
  }

  async function sendFile(req, res, file, { cache = 'no-cache', downloadName = null } = {}) {
    let st;
    try {
      st = await fsp.stat(file);
      if (st.isDirectory()) {
        file = join(file, 'index.html');
        st = await fsp.stat(file);
      }
    } catch {
      return send(res, 404, 'not found\n');
    }
    if (!st.isFile()) return send(res, 404, 'not found\n');
    const type = MIME[extname(file).toLowerCase()] || 'application/octet-stream';
    const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
    const headers = {
      ...securityHeaders,
      'Content-Type': type,
      'Cache-Control': cache,
      'Last-Modified': st.mtime.toUTCString(),
      ETag: etag,
    };
    if (downloadName) headers['Content-Disposition'] = `attachment; filename="${downloadName}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers);
      return res.end();
    }
    headers['Content-Length'] = st.size;
    res.writeHead(200, headers);
    if (req.method === 'HEAD') return res.end();
    const stream = createReadStream(file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  }

  function config() {
    return {
      app: 'normlab',
      isolation,
      dataset: dataset ? {
        kind: dataset.kind,
        name: dataset.name,
        size: dataset.size,
        files: dataset.files.map((f) => ({ name: f.name, size: f.size, url: `/dataset/${encodeURIComponent(f.name)}` })),
      } : null,
    };
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) send(res, 500, `internal error: ${e.message}\n`);
      else res.destroy();
    });
  });

  async function handle(req, res) {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, 'method not allowed\n', undefined, { Allow: 'GET, HEAD' });
    }
    let pathname;
    try {
      pathname = new URL(req.url, 'http://localhost').pathname;
    } catch {
      return send(res, 400, 'bad request\n');
    }
    if (pathname === '/api/config') {
      return send(res, 200, JSON.stringify(config()), MIME['.json']);
    }
    if (pathname.startsWith('/dataset/')) {
      if (!dataset) return send(res, 404, 'no data set: start the server with --data PATH\n');
      let name;
      try {
        name = decodeURIComponent(pathname.slice('/dataset/'.length));
      } catch {
        return send(res, 400, 'bad request\n');
      }
      const f = dataset.files.find((x) => x.name === name); // only the listed files: no traversal
      if (!f) return send(res, 404, 'not found\n');
      return sendFile(req, res, f.path, { cache: 'no-cache' });
    }
    if (pathname.startsWith('/assets/')) {
      const file = safeJoin(assetsDir, pathname.slice('/assets'.length));
      if (!file) return send(res, 400, 'bad path\n');
      return sendFile(req, res, file);
    }
    if (pathname === '/wasm' || pathname.startsWith('/wasm/')) {
      const file = safeJoin(wasmDir, pathname.slice('/wasm'.length));
      if (!file) return send(res, 400, 'bad path\n');
      return sendFile(req, res, file);
    }
    const file = safeJoin(webDir, pathname);
    if (!file) return send(res, 400, 'bad path\n');
    return sendFile(req, res, file);
  }

  return { server, wasmDir, webDir, dataset, isolation };
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`serve.mjs: ${e.message}\n${usage()}`);
    process.exit(2);
  }
  if (opts.help) {
    console.log(usage());
    return;
  }
  if (opts.fetch && !opts.data) {
    // The full set for the page: from the cache, or downloaded now (progress on stderr).
    let got;
    try {
      got = await obtainCifar();
    } catch (e) {
      console.error(`serve.mjs: ${e.message}`);
      process.exit(2);
    }
    if (got.path) opts.data = got.path;
    else console.log(`normlab: ${got.reason}\nnormlab: the page uses the CIFAR-10 sample in assets/ (2,000 + 500 images) instead; drop the full cifar-10-binary.tar.gz on the page, or run again with network`);
  }
  let app;
  try {
    app = createPlaygroundServer(opts);
  } catch (e) {
    console.error(`serve.mjs: ${e.message}`);
    process.exit(2);
  }
  if (!existsSync(join(app.wasmDir, 'normlab.js'))) {
    console.warn(`normlab: warning: ${app.wasmDir}/normlab.js is missing: run wasm_bindings/build.sh`);
  }
  app.server.on('error', (e) => {
    console.error(`serve.mjs: ${e.code === 'EADDRINUSE' ? `port ${opts.port} is in use (try --port 0)` : e.message}`);
    process.exit(1);
  });
  app.server.listen(opts.port, opts.host, () => {
    const { port } = app.server.address();
    const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
    const shown = host === '0.0.0.0' || host === '[::]' ? 'localhost' : host;
    console.log(`normlab: data set: ${app.dataset ? `${app.dataset.files.map((f) => f.path).join(', ')}` : 'none from the server (the page uses the one saved in the browser, else the sample in assets/)'}`);
    console.log(`normlab: wasm: ${app.wasmDir}`);
    console.log(`normlab: cross-origin isolation ${app.isolation ? 'on (multi-threaded build)' : 'OFF (single-threaded fallback)'}`);
    console.log(`normlab: serving http://${shown}:${port}/`);
  });
  const stop = () => {
    app.server.close(() => process.exit(0));
    app.server.closeAllConnections();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
