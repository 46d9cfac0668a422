#!/usr/bin/env node
// Obtains the official CIFAR-10 binary archive for tools/run.sh and tools/serve.mjs --fetch:
//   1. $NORMLAB_CIFAR (a file or folder given by the user) if set;
//   2. the per-user cache, $XDG_CACHE_HOME/normlab/cifar-10-binary.tar.gz (else ~/.cache/normlab/);
//   3. a download from the University of Toronto ($NORMLAB_CIFAR_URL overrides the address):
//      progress on stderr, resumed with HTTP Range after a cut connection (also across runs:
//      the partial file is kept as <name>.part), checked against the published MD5
//      ($NORMLAB_CIFAR_MD5 overrides it, for tests and mirrors of other files), and only then
//      renamed into the cache (atomic). A corrupt download is deleted: nothing is cached.
// Without network the caller falls back to the small sample in assets/.
//
//   node tools/fetch_cifar.mjs        prints the archive's path on stdout (exit 0), or why it
//                                     could not be obtained on stderr (exit 1)
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, promises as fsp, statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const OFFICIAL_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
export const OFFICIAL_MD5 = 'c58f30108f718f92721af3b95e74349a';
export const FILE_NAME = 'cifar-10-binary.tar.gz';
export const FULL_SET_PAGE = 'https://www.cs.toronto.edu/~kriz/cifar.html';

/** An error of the download: kind 'network' (no connection), 'cut' (stopped early, resumable),
 * 'http' (the server said no), 'integrity' (wrong MD5 or size). */
export class FetchError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

/** The per-user cache folder: $XDG_CACHE_HOME/normlab, else ~/.cache/normlab. */
export function cacheDir(env = process.env) {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'normlab'); // the XDG spec ignores relative paths
  return join(env.HOME || homedir(), '.cache', 'normlab');
}

export function formatMB(n) {
  return `${(n / 1e6).toFixed(1)} MB`;
}

async function fileMd5(path) {
  const h = createHash('md5');
  for await (const chunk of createReadStream(path)) h.update(chunk);
  return h.digest('hex');
}

function sizeOf(path) {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * One HTTP request, appending to `part` from byte `from` (Range) or rewriting it from 0.
 * Resolves when the body is complete; rejects with a FetchError otherwise.
 */
function requestOnce(url, part, from, { timeoutMs, onProgress, redirects = 5 }) {
  return new Promise((resolvePromise, reject) => {
    let u;
    try {
      u = new URL(url);
    } catch {
      reject(new FetchError('http', `bad download address '${url}'`));
      return;
    }
    const lib = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : null;
    if (!lib) {
      reject(new FetchError('http', `unsupported download address '${url}'`));
      return;
    }
    const headers = { 'User-Agent': 'normlab-fetch', 'Accept-Encoding': 'identity' };
    if (from > 0) headers.Range = `bytes=${from}-`;
    let settled = false;
    const fail = (e) => {
      if (!settled) {
        settled = true;
        reject(e);
      }
    };
    const req = lib.get(u, { headers }, (res) => {
      const status = res.statusCode;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (redirects <= 0) return fail(new FetchError('http', `${url}: too many redirects`));
        const next = new URL(res.headers.location, u).toString();
        return requestOnce(next, part, from, { timeoutMs, onProgress, redirects: redirects - 1 })
          .then((r) => { settled = true; resolvePromise(r); }, fail);
      }
      let start;
      let total;
      if (status === 206 && from > 0) {
        const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers['content-range'] || '');
        if (!m || Number(m[1]) !== from) {
          res.resume();
          return fail(new FetchError('cut', `${url}: the server resumed at the wrong place (${res.headers['content-range']})`));
        }
        start = from;
        total = m[3] === '*' ? 0 : Number(m[3]);
      } else if (status === 200) {
        start = 0; // a server without Range support sends everything again
        total = Number(res.headers['content-length']) || 0;
      } else if (status === 416 && from > 0) {
        res.resume();
        return fail(new FetchError('restart', `${url}: the partial download does not fit the file on the server`));
      } else {
        res.resume();
        return fail(new FetchError('http', `${url}: the server answered HTTP ${status}`));
      }
      const out = createWriteStream(part, { flags: start > 0 ? 'a' : 'w' });
      let got = start;
      res.on('data', (chunk) => {
        got += chunk.length;
        if (onProgress) onProgress({ loaded: got, total });
      });
      let ended = false;
      const finish = (err) => {
        if (ended) return;
        ended = true;
        res.unpipe(out);
        out.end(() => {
          if (err) return fail(err);
          if (total && got !== total) {
            return fail(new FetchError('cut', `the connection closed after ${formatMB(got)} of ${formatMB(total)}`));
          }
          if (!settled) {
            settled = true;
            resolvePromise({ size: got, total });
          }
        });
      };
      const cut = () => new FetchError('cut', `the connection broke after ${formatMB(got)}`);
      res.on('end', () => finish(null));
      res.on('error', () => finish(cut()));
      res.on('close', () => finish(res.complete ? null : cut()));
      out.on('error', (e) => {
        req.destroy();
        fail(new FetchError('http', `cannot write ${part}: ${e.message}`));
      });
      res.pipe(out, { end: false });
    });
    req.setTimeout(timeoutMs, () => req.destroy(new FetchError('network', `no answer from ${u.host} for ${timeoutMs / 1000} s`)));
    req.on('error', (e) => {
      if (e instanceof FetchError) return fail(e);
      const kind = ['ECONNRESET', 'EPIPE'].includes(e.code) ? 'cut' : 'network';
      fail(new FetchError(kind, `cannot reach ${u.host}: ${e.code || e.message}`));
    });
  });
}

/**
 * Downloads url into dir/FILE_NAME, resuming dir/FILE_NAME.part, and checks the MD5.
 * @param {{url?:string, md5?:string, dir?:string, onProgress?:(p:{loaded:number,total:number})=>void,
 *   timeoutMs?:number, retries?:number, retryDelayMs?:number, log?:(s:string)=>void}} [o]
 * @returns {Promise<string>} the path of the verified file
 */
export async function downloadCifar(o = {}) {
  const url = o.url || OFFICIAL_URL;
  const md5 = (o.md5 || OFFICIAL_MD5).toLowerCase();
  const dir = o.dir || cacheDir();
  const log = o.log || (() => {});
  const retries = o.retries ?? 4;
  mkdirSync(dir, { recursive: true });
  const target = join(dir, FILE_NAME);
  const part = `${target}.part`;
  for (let attempt = 0; ; attempt++) {
    const from = sizeOf(part);
    if (from > 0) log(`resuming the download at ${formatMB(from)}`);
    try {
      await requestOnce(url, part, from, { timeoutMs: o.timeoutMs ?? 30000, onProgress: o.onProgress });
      break;
    } catch (e) {
      if (e.kind === 'restart') {
        await fsp.rm(part, { force: true });
        if (attempt < retries) continue;
      }
      // Keep the partial file only when it can be resumed; retry while the server answers.
      const progressed = sizeOf(part) > from;
      if ((e.kind === 'cut' || e.kind === 'network') && progressed && attempt < retries) {
        log(`${e.message}; trying again`);
        await new Promise((r) => setTimeout(r, o.retryDelayMs ?? 1000));
        continue;
      }
      if (e.kind !== 'cut' && e.kind !== 'network') await fsp.rm(part, { force: true });
      throw e;
    }
  }
  const got = await fileMd5(part);
  if (got !== md5) {
    await fsp.rm(part, { force: true });
    throw new FetchError('integrity', `the downloaded file has MD5 ${got}, expected ${md5}: it is damaged or not `
      + `the CIFAR-10 binary archive, so it was deleted and nothing was cached`);
  }
  await fsp.rename(part, target); // atomic: the cache never holds an unverified file
  return target;
}

/** Progress on stderr: one rewritten line on a terminal, else a line every 10%. */
export function progressPrinter(stream = process.stderr) {
  let lastPct = -1;
  let lastDraw = 0;
  const t0 = Date.now();
  return ({ loaded, total }) => {
    const now = Date.now();
    const pct = total ? Math.floor((100 * loaded) / total) : -1;
    const rate = loaded / Math.max(0.001, (now - t0) / 1000);
    const text = `normlab: downloading CIFAR-10: ${formatMB(loaded)}${total ? ` of ${formatMB(total)} (${pct}%)` : ''}, ${formatMB(rate)}/s`;
    if (stream.isTTY) {
      if (now - lastDraw < 200 && loaded !== total) return;
      lastDraw = now;
      stream.write(`\r${text}\x1b[K${loaded === total ? '\n' : ''}`);
    } else if (pct >= 0 ? Math.floor(pct / 10) !== Math.floor(lastPct / 10) : now - lastDraw > 5000) {
      lastDraw = now;
      stream.write(`${text}\n`);
    }
    lastPct = pct;
  };
}

/**
 * The data set for the server: NORMLAB_CIFAR, the cache, or a fresh download.
 * @returns {Promise<{path:string, source:'env'|'cache'|'download'} | {path:null, reason:string}>}
 *   path null: no full set (no network, or a bad download); reason says why, for the user
 */
export async function obtainCifar({ env = process.env, log = (s) => console.error(`normlab: ${s}`), onProgress, ...o } = {}) {
  if (env.NORMLAB_CIFAR) {
    const p = resolve(env.NORMLAB_CIFAR);
    if (!existsSync(p)) throw new Error(`NORMLAB_CIFAR=${env.NORMLAB_CIFAR} does not exist`);
    return { path: p, source: 'env' };
  }
  const dir = o.dir || cacheDir(env);
  const cached = join(dir, FILE_NAME);
  if (existsSync(cached)) return { path: cached, source: 'cache' };
  const url = o.url || env.NORMLAB_CIFAR_URL || OFFICIAL_URL;
  log(`downloading ${url} into ${dir}/ (once; Ctrl-C stops, the next run resumes)`);
  try {
    const path = await downloadCifar({
      ...o, url, dir, md5: o.md5 || env.NORMLAB_CIFAR_MD5 || OFFICIAL_MD5, log, onProgress: onProgress ?? progressPrinter(),
    });
    return { path, source: 'download' };
  } catch (e) {
    if (!(e instanceof FetchError)) throw e;
    const what = e.kind === 'integrity' ? 'the download was bad' : 'could not download CIFAR-10';
    return { path: null, reason: `${what}: ${e.message}` };
  }
}

async function main() {
  const r = await obtainCifar();
  if (!r.path) {
    console.error(`normlab: ${r.reason}\nnormlab: get ${FILE_NAME} from ${FULL_SET_PAGE} and set NORMLAB_CIFAR=/path/to/it`);
    process.exit(1);
  }
  console.log(r.path);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`normlab: ${e.message}`);
    process.exit(1);
  });
}
