// normlab.js: the JavaScript API over the Wasm build of the normlab core (ES2020 module,
// for Node and for a browser Worker). It hides Emscripten: callers see NormLab, Trainer,
// typed arrays and NormLabError. See README.md in this folder for the API and formats.
//
// Loading: the glue is Emscripten's non-ES6 MODULARIZE output (its ES6 form does not run
// in Node with Emscripten 3.1.6). Node loads it with createRequire; a classic worker with
// importScripts; a module worker or a page with fetch + new Function.
//
// Only NormLab.create is async; every other call is synchronous (Wasm blocks the calling
// thread anyway), so run this in a Worker, not on the page's main thread.

/** Thrown for every failure, with the core's message. The objects stay usable. */
export class NormLabError extends Error {
  /** @param {string} message @param {number} [code] core status code (1 invalid, 2 io, 3 format, 4 memory, 5 mismatch) */
  constructor(message, code = 1) {
    super(message);
    this.name = 'NormLabError';
    this.code = code;
  }
}

/** @typedef {'st'|'mt'} Variant */
const VARIANTS = {
  st: { file: 'normlab-simd', exportName: 'createNormLabSimd' },
  mt: { file: 'normlab-simd-mt', exportName: 'createNormLabSimdMt' },
};

const ABI_VERSION = 3;
/** Bytes of tar handed to the core per call (one reusable Wasm buffer). */
const STREAM_PIECE = 1 << 20;
const IMAGE_BYTES = 3072;
const CLASSES = 10;
const PROGRESS_KEYS = ['epoch', 'stepInEpoch', 'stepsPerEpoch', 'globalStep', 'totalSteps', 'lr', 'momentum',
  'lastLoss', 'epochLoss', 'epochAcc', 'epochDone', 'finished', 'imagesPerSec', 'stepsRun'];
const BOOL_PROGRESS = new Set(['epochDone', 'finished']);

// Scratch layout (one malloc per module): out-parameters of the C calls.
const S_PROGRESS = 0; // 16 doubles
const S_SUMMARY = 128; // 13 doubles
const S_CONFUSION = 256; // 100 int32
const S_PTRS = 672; // 4 pointer / int32 slots
const SCRATCH_BYTES = 704;

const isNode = typeof process === 'object' && !!process.versions && !!process.versions.node &&
  typeof window === 'undefined' && typeof importScripts === 'undefined';

/** Imports a Node built-in without bundlers trying to resolve it for the browser. */
function nodeImport(name) {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ name);
}

/**
 * Loads the Emscripten factory of a variant.
 * @param {Variant} variant @param {string|URL} baseUrl folder of the build outputs
 * @returns {Promise<{factory: Function, moduleArg: object}>}
 */
async function loadFactory(variant, baseUrl, wasmBinary) {
  const { file, exportName } = VARIANTS[variant];
  const jsUrl = new URL(file + '.js', baseUrl);
  if (isNode) {
    const { createRequire } = await nodeImport('node:module');
    const { readFile } = await nodeImport('node:fs/promises');
    const { fileURLToPath } = await nodeImport('node:url');
    const require = createRequire(import.meta.url);
    let factory;
    try {
      factory = require(fileURLToPath(jsUrl));
    } catch (e) {
      throw new NormLabError(`cannot load ${fileURLToPath(jsUrl)} (run wasm_bindings/build.sh): ${e.message}`, 2);
    }
    // Emscripten's Node path would fetch() the .wasm under Node 20 and fail: hand it the bytes.
    const binary = wasmBinary || await readFile(fileURLToPath(new URL(file + '.wasm', baseUrl)));
    return { factory, moduleArg: { wasmBinary: binary } };
  }
  const href = jsUrl.href;
  let factory;
  if (typeof importScripts === 'function') {
    try {
      importScripts(href); // classic worker
      factory = globalThis[exportName];
    } catch (e) {
      factory = undefined; // module worker: importScripts is not allowed there
    }
  }
  if (!factory) {
    const res = await fetch(href);
    if (!res.ok) throw new NormLabError(`cannot load ${href}: HTTP ${res.status}`, 2);
    factory = new Function(`${await res.text()}\n;return ${exportName};`)();
  }
  // The glue cannot know where it came from when evaluated: tell it where its files are.
  const moduleArg = { locateFile: (path) => new URL(path, baseUrl).href, mainScriptUrlOrBlob: href };
  if (wasmBinary) moduleArg.wasmBinary = wasmBinary;
  return { factory, moduleArg };
}

/** Folder of the build outputs when none is given. */
async function defaultBaseUrl(variant) {
  const here = new URL('./', import.meta.url);
  if (!isNode) return here; // the page serves normlab.js next to the glue (build.sh copies it)
  if (process.env.NL_WASM_DIR) {
    const { pathToFileURL } = await nodeImport('node:url');
    return pathToFileURL(process.env.NL_WASM_DIR.replace(/\/?$/, '/'));
  }
  const { existsSync } = await nodeImport('node:fs');
  const { fileURLToPath } = await nodeImport('node:url');
  if (existsSync(fileURLToPath(new URL(VARIANTS[variant].file + '.js', here)))) return here;
  return new URL('../build/wasm/', import.meta.url); // wasm_bindings/normlab.js in the repo
}

/** A folder URL from a URL or (in Node) a path; relative ones against the page or the cwd. */
async function resolveBaseUrl(base) {
  let s = String(base);
  if (!s.endsWith('/')) s += '/';
  if (base instanceof URL || /^[a-z][a-z0-9+.-]*:/i.test(s)) return new URL(s);
  if (isNode) {
    const { pathToFileURL } = await nodeImport('node:url');
    const { resolve } = await nodeImport('node:path');
    return pathToFileURL(resolve(s) + '/');
  }
  return new URL(s, globalThis.location.href);
}

function sharedMemoryAvailable() {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  return typeof crossOriginIsolated === 'undefined' || crossOriginIsolated === true;
}

function defaultThreads() {
  if (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) return navigator.hardwareConcurrency;
  return 1;
}

/**
 * One configuration object from the model and settings objects (later keys win), as the C
 * side reads it (core/serialize/nl_config.h): field names as in the JSON `normlab config`
 * writes (snake_case: max_lr, group_size, ...). A BigInt seed becomes a decimal string
 * (seeds go up to 2^64-1, beyond what a JS number holds exactly).
 * @param {...(Config|undefined)} parts
 * @returns {Config}
 */
export function mergeConfig(...parts) {
  /** @type {Record<string, any>} */
  const out = {};
  for (const obj of parts) {
    if (obj === undefined || obj === null) continue;
    if (typeof obj !== 'object' || Array.isArray(obj)) throw new NormLabError('a configuration must be an object');
    for (const [key, value] of Object.entries(obj)) {
      if (value === undefined) continue;
      out[key] = typeof value === 'bigint' ? value.toString() : value;
    }
  }
  return out;
}

/** The configuration as the JSON text the C side parses. @param {Config} config */
export function configText(config) {
  return JSON.stringify(mergeConfig(config));
}

/**
 * @typedef {Record<string, any>} Config  A configuration: the fields of core/serialize/nl_config.h
 *   (NormLab.schema() lists them with their types, ranges, defaults and help), e.g.
 *   {norm: 'gn', preset: 'default', group_size: 8, widths: [...], skips: [['C3', 'C5']],
 *    epochs: 20, batch: 128, schedule: 'onecycle', max_lr: 0.1, l2: 5e-4, crop: 4, flip: true,
 *    seed: '4000000000', threads: 0, val: 0, train_fraction: 1}.
 *   Omitted fields take their defaults (for the norm and preset given). The seed is a decimal
 *   string, a safe integer or a BigInt.
 *
 * @typedef {object} Progress
 * @property {number} epoch @property {number} stepInEpoch @property {number} stepsPerEpoch
 * @property {number} globalStep @property {number} totalSteps @property {number} lr @property {number} momentum
 * @property {number} lastLoss @property {number} epochLoss @property {number} epochAcc
 * @property {boolean} epochDone @property {boolean} finished @property {number} imagesPerSec
 * @property {number} stepsRun steps done by this call
 *
 * @typedef {object} Evaluation
 * @property {'test'|'train'} set @property {number} n @property {number} loss @property {number} acc
 * @property {Float64Array} classAcc per-class accuracy [10]
 * @property {Int32Array[]} confusion confusion[true][pred], 10 rows of 10
 * @property {Array<{index:number,label:number,pred:number,conf:number}>} misclassified
 * @property {Uint8Array} pred predicted class of every image @property {Float32Array} conf its probability
 *
 * @typedef {object} LayerReport
 * @property {string} name @property {string} op @property {{c:number,h:number,w:number}} in
 * @property {{c:number,h:number,w:number}} out @property {number} params
 * @property {{r:number,n:number,j:number,k:number,s:number,p:number}} rf receptive field after the layer
 */

/**
 * The kernel set for this JS engine. SpiderMonkey (Firefox) runs the GEMM tiles ~1.6x faster
 * with their k loops unrolled by 4 ('wasmsimd_unroll4'); V8 (Chromium, Node) runs those slower
 * and the plain loops fastest (bench/README.md, "Firefox at Chromium's pace").
 * @returns {'wasmsimd'|'wasmsimd_unroll4'}
 */
export function engineKernels() {
  const ua = typeof navigator !== 'undefined' && typeof navigator.userAgent === 'string' ? navigator.userAgent : '';
  return /\bFirefox\//.test(ua) ? 'wasmsimd_unroll4' : 'wasmsimd';
}

export class NormLab {
  /**
   * Loads a Wasm variant.
   * @param {object} [opts]
   * @param {number} [opts.threads] worker threads for trainers (default 1; 'mt' default: all cores)
   * @param {Variant|'auto'} [opts.variant] 'auto' (default): 'mt' when threads > 1 and shared memory works
   * @param {string|URL} [opts.baseUrl] folder holding the normlab-simd*.js/.wasm files
   * @param {Uint8Array|ArrayBuffer} [opts.wasmBinary] the .wasm bytes, if already at hand
   * @param {'auto'|'wasmsimd'|'wasmsimd_unroll4'} [opts.kernels] the SIMD128 kernel set; 'auto'
   *   (default): 'wasmsimd_unroll4' in Firefox (SpiderMonkey runs its GEMM tiles ~1.6x faster),
   *   else 'wasmsimd' (V8's fastest). Same results either way.
   * @returns {Promise<NormLab>}
   */
  static async create(opts = {}) {
    let variant = opts.variant || 'auto';
    let threads = opts.threads;
    if (variant === 'auto') variant = (threads || 1) > 1 && sharedMemoryAvailable() ? 'mt' : 'st';
    if (!VARIANTS[variant]) throw new NormLabError(`unknown variant '${variant}' (use st, mt or auto)`);
    if (variant === 'mt' && !sharedMemoryAvailable()) {
      throw new NormLabError('the multi-threaded build needs SharedArrayBuffer (a cross-origin isolated page)');
    }
    if (threads === undefined) threads = variant === 'mt' ? defaultThreads() : 1;
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
      throw new NormLabError(`threads must be an integer 1..64, got ${threads}`);
    }
    const baseUrl = opts.baseUrl ? await resolveBaseUrl(opts.baseUrl) : await defaultBaseUrl(variant);
    const { factory, moduleArg } = await loadFactory(variant, baseUrl, opts.wasmBinary);
    const M = await factory({
      ...moduleArg,
      nlPoolSize: Math.max(1, threads - 1), // read by the glue's PTHREAD_POOL_SIZE expression
      print: (/** @type {string} */ s) => console.log(s),
      printErr: (/** @type {string} */ s) => console.warn(s),
    });
    if (isNode && M.PThread) {
      // Idle pool workers must not keep Node alive after the caller is done.
      for (const w of M.PThread.unusedWorkers) if (typeof w.unref === 'function') w.unref();
    }
    if (M._nlw_abi_version() !== ABI_VERSION) {
      throw new NormLabError(`Wasm ABI ${M._nlw_abi_version()} does not match normlab.js (${ABI_VERSION}): rebuild`);
    }
    const nl = new NormLab(M, variant, threads);
    const kernels = !opts.kernels || opts.kernels === 'auto' ? engineKernels() : opts.kernels;
    try {
      nl._withString(String(kernels), (p) => nl._check(M._nlw_kernels_select(p)));
    } catch (e) {
      nl.close();
      throw e;
    }
    nl.kernels = M.UTF8ToString(M._nlw_kernels_name());
    return nl;
  }

  /** @private */
  constructor(M, variant, threads) {
    this._M = M;
    /** @type {Variant} */
    this.variant = variant;
    /** Default thread count of new trainers. */
    this.threads = threads;
    /** The SIMD128 kernel set in use ('wasmsimd' or 'wasmsimd_unroll4'; set by create). */
    this.kernels = '';
    this._scratch = M._malloc(SCRATCH_BYTES);
    /** @type {Set<Trainer>} */
    this._trainers = new Set();
  }

  /** The Wasm heap's size in bytes now (it only grows: a leak shows as growth run after run). */
  heapBytes() { return this._buffer().byteLength; }

  /**
   * The core's per-layer, per-pass timers (all trainers and threads; off unless started):
   * profileStart() clears and starts them, profileStop() stops them, profile() reads them.
   * Timing costs a clock read per layer and pass: measure speed without them.
   */
  profileStart() { this._profileOn(1); }
  profileStop() { this._profileOn(0); }
  /** @private */
  _profileOn(on) {
    if (typeof this._M._nlw_profile_start !== 'function') throw new NormLabError('this Wasm build has no profile: rebuild');
    this._check(this._M._nlw_profile_start(on));
  }
  /**
   * @returns {{layers: string[], passes: string[], seconds: number[][]}} seconds[layer][pass],
   *   summed over threads; layers: the network's 14 and 'step' (optimizer, batch preparation,
   *   weight packing, gradient reduction); passes: forward, bwd-data, wgrad, norm, pool,
   *   optimizer, augment, copy, other
   */
  profile() {
    if (typeof this._M._nlw_profile_json !== 'function') throw new NormLabError('this Wasm build has no profile: rebuild');
    return this._json(this._M._nlw_profile_json(this._scratch + S_PTRS));
  }

  // ---- memory helpers (views are made fresh each time: memory may have grown) ----

  /** @private */
  _buffer() {
    const M = this._M;
    if (!M) throw new NormLabError('this NormLab instance is closed');
    return M.wasmMemory ? M.wasmMemory.buffer : M.HEAPU8.buffer;
  }
  /** @private */
  _u32(ptr) { return new Uint32Array(this._buffer(), ptr, 1)[0]; }
  /** @private */
  _i32(ptr) { return new Int32Array(this._buffer(), ptr, 1)[0]; }
  /** @private */
  _f64s(ptr, n) { return new Float64Array(this._buffer(), ptr, n).slice(); }
  /** @private copies Wasm bytes out into an ordinary (non-shared) array */
  _copyOut(Ctor, ptr, n) { return new Ctor(this._buffer(), ptr, n).slice(); }

  /** @private */
  _malloc(n) {
    const p = this._M._malloc(Math.max(1, n));
    if (!p) throw new NormLabError(`out of Wasm memory allocating ${n} bytes`, 4);
    return p;
  }
  /** @private copies bytes into a fresh Wasm allocation */
  _copyIn(bytes) {
    const u8 = toU8(bytes);
    const p = this._malloc(u8.length);
    new Uint8Array(this._buffer(), p, u8.length).set(u8);
    return p;
  }
  /** @private */
  _string(s) {
    const M = this._M;
    const n = M.lengthBytesUTF8(s) + 1;
    const p = this._malloc(n);
    M.stringToUTF8(s, p, n);
    return p;
  }
  /** @private throws NormLabError with the C message when rc != 0 */
  _check(rc) {
    if (rc === 0) return;
    const msg = this._M.UTF8ToString(this._M._nlw_last_error());
    throw new NormLabError(msg || `normlab error ${rc}`, rc);
  }
  /** @private calls fn with a C string, freeing it afterwards */
  _withString(s, fn) {
    const p = this._string(s);
    try {
      return fn(p);
    } finally {
      this._M._free(p);
    }
  }
  /** @private reads the JSON string a *_json call left in the pointer slot */
  _json(rc) {
    this._check(rc);
    return JSON.parse(this._M.UTF8ToString(this._u32(this._scratch + S_PTRS)));
  }

  // ---- data set ----

  /**
   * Loads the data set from a tar archive: the official cifar-10-binary.tar.gz, or a plain
   * .tar. A gzip file is decompressed by the platform (Node: node:zlib; browsers and
   * workers: DecompressionStream) while it streams into the core's tar reader, which parses
   * the images as they arrive: only the data set ends up in Wasm memory, never the archive.
   * Replaces the current data set only if this one loads completely.
   * @param {Uint8Array|ArrayBuffer|Blob|ReadableStream<Uint8Array>|AsyncIterable<Uint8Array>} source
   * @param {{onProgress?: (tarBytes: number) => void}} [options] called after each piece
   * @returns {Promise<{train:number, test:number, classNames:string[]}>}
   */
  async loadDatasetArchive(source, options = {}) {
    if (this._streaming) throw new NormLabError('a data set is already loading');
    this._streaming = true;
    const M = this._M;
    let stage = 0;
    try {
      const { gzip, chunks } = await sniffGzip(byteChunks(source));
      if (!gzip && chunks.empty) throw new NormLabError('archive: no bytes given');
      this._check(M._nlw_data_stream_begin());
      stage = this._malloc(STREAM_PIECE);
      let fed = 0;
      const tar = gzip ? gunzipChunks(chunks.iterable) : chunks.iterable;
      for await (const piece of tar) {
        for (let at = 0; at < piece.length; at += STREAM_PIECE) {
          const part = piece.subarray(at, at + STREAM_PIECE);
          new Uint8Array(this._buffer(), stage, part.length).set(part);
          this._check(M._nlw_data_stream_feed(stage, part.length));
          fed += part.length;
        }
        if (options.onProgress) options.onProgress(fed);
      }
      this._check(M._nlw_data_stream_finish());
    } catch (e) {
      if (M) M._nlw_data_stream_abort();
      if (e instanceof NormLabError) throw e;
      throw new NormLabError(`archive: cannot be read: ${e && e.message ? e.message : e}`, 2);
    } finally {
      if (stage) M._free(stage);
      this._streaming = false;
    }
    return this.datasetInfo();
  }

  /**
   * Loads the data set from six batch files: data_batch_1..5.bin, test_batch.bin.
   * @param {Array<Uint8Array|ArrayBuffer>} batches
   */
  loadDatasetBatches(batches) {
    if (!Array.isArray(batches) || batches.length !== 6) {
      throw new NormLabError('loadDatasetBatches needs 6 buffers: data_batch_1..5.bin and test_batch.bin');
    }
    const M = this._M;
    const ptrs = [];
    const table = this._malloc(48);
    try {
      batches.forEach((b, i) => {
        const u8 = toU8(b);
        ptrs.push(this._copyIn(u8));
        const t = new Uint32Array(this._buffer(), table, 12);
        t[i] = ptrs[i];
        t[6 + i] = u8.length;
      });
      this._check(M._nlw_data_load_batches(table, table + 24));
    } finally {
      for (const p of ptrs) M._free(p);
      M._free(table);
    }
    return this.datasetInfo();
  }

  /** @returns {{train:number, test:number, classNames:string[]}} */
  datasetInfo() {
    return this._json(this._M._nlw_data_info_json(this._scratch + S_PTRS));
  }

  /** @private pointers to a set's pixels and labels */
  _set(set) {
    const s = this._scratch + S_PTRS;
    this._check(this._M._nlw_data_images(set === 'train' ? 1 : 0, s, s + 4, s + 8));
    return { pixels: this._u32(s), labels: this._u32(s + 4), n: this._i32(s + 8) };
  }

  /**
   * Copies images [first, first + count) of a set: CIFAR layout, 3072 bytes each
   * (1024 red, 1024 green, 1024 blue, rows top to bottom).
   * @param {number} first @param {number} count @param {'test'|'train'} [set]
   * @returns {Uint8Array}
   */
  images(first, count, set = 'test') {
    const s = this._set(set);
    if (!Number.isInteger(first) || !Number.isInteger(count) || first < 0 || count < 0 || first + count > s.n) {
      throw new NormLabError(`images ${first}..${first + count - 1} are outside the ${set} set (0..${s.n - 1})`);
    }
    return this._copyOut(Uint8Array, s.pixels + first * IMAGE_BYTES, count * IMAGE_BYTES);
  }

  /** One test image (3072 bytes, CIFAR layout). @param {number} i @returns {Uint8Array} */
  testImage(i) { return this.images(i, 1, 'test'); }

  /** All labels of a set. @param {'test'|'train'} [set] @returns {Uint8Array} */
  labels(set = 'test') {
    const s = this._set(set);
    return this._copyOut(Uint8Array, s.labels, s.n);
  }

  // ---- configurations, models and trainers ----

  /** @private the configuration text, with this instance's thread count for threads 0 / unset */
  _text(...parts) {
    const c = mergeConfig(...parts);
    if (c.threads === undefined || c.threads === 0) c.threads = this.threads;
    return JSON.stringify(c);
  }

  /**
   * The settings table (cached): every field with its name, CLI flag, section (model or
   * train), type, min/max (and whether they are excluded), options, default, defaults per
   * norm (or per preset for widths, pads and skips) and help text.
   * @returns {{format: string, version: number, fields: object[]}}
   */
  schema() {
    if (!this._schema) this._schema = this._json(this._M._nlw_config_schema_json(this._scratch + S_PTRS));
    return this._schema;
  }

  /**
   * The complete configuration the core would use (defaults filled in, validated); the
   * arguments are merged (later ones win).
   * @param {...Config} parts @returns {Config}
   */
  resolveConfig(...parts) {
    return this._withString(this._text(...parts),
      (p) => this._json(this._M._nlw_config_json(p, this._scratch + S_PTRS)));
  }

  /** Same as resolveConfig(model, settings). @param {Config} [model] @param {Config} [settings] */
  resolveSettings(model, settings) { return this.resolveConfig(model, settings); }

  /**
   * Parameter and receptive-field table of a configuration's model, without a trainer.
   * @param {Config} [config] @returns {{layers: LayerReport[], total: number}}
   */
  report(config) {
    return this._withString(this._text(config),
      (p) => this._json(this._M._nlw_model_report_json(p, this._scratch + S_PTRS)));
  }

  /**
   * A trainer with fresh weights (seeded). It trains on the current data set. The
   * arguments are merged into one configuration: createTrainer(config), or
   * createTrainer({norm: 'gn'}, {epochs: 2, seed: '4000000000'}).
   * @param {...Config} parts @returns {Trainer}
   */
  createTrainer(...parts) {
    const slot = this._scratch + S_PTRS;
    this._withString(this._text(...parts), (p) => this._check(this._M._nlw_trainer_create(p, slot)));
    return this._adopt(this._u32(slot));
  }

  /**
   * A trainer restored from checkpoint bytes (model, weights, optimiser state, progress).
   * @param {Uint8Array|ArrayBuffer} bytes @param {{threads?: number}} [opts] default: this.threads
   * @returns {Trainer}
   */
  trainerFromCheckpoint(bytes, opts = {}) {
    const u8 = toU8(bytes);
    const slot = this._scratch + S_PTRS;
    const p = this._copyIn(u8);
    try {
      this._check(this._M._nlw_trainer_load_checkpoint(p, u8.length, opts.threads || this.threads, slot));
    } finally {
      this._M._free(p);
    }
    return this._adopt(this._u32(slot));
  }

  /**
   * A trainer holding the weights of a safetensors file (exported here, or written by
   * tools/pytorch/normlab_model.py from PyTorch). The model comes from the file's metadata;
   * the training settings from `config` (its model fields are ignored), or when it is
   * omitted from the file's own normlab_config metadata (else the defaults).
   * @param {Uint8Array|ArrayBuffer} bytes @param {Config} [config] @returns {Trainer}
   */
  trainerFromSafetensors(bytes, config) {
    const u8 = toU8(bytes);
    const slot = this._scratch + S_PTRS;
    const p = this._copyIn(u8);
    try {
      this._withString(config === undefined ? '' : this._text(config),
        (text) => this._check(this._M._nlw_trainer_from_safetensors(p, u8.length, text, slot)));
    } finally {
      this._M._free(p);
    }
    return this._adopt(this._u32(slot));
  }

  /** Same as trainerFromCheckpoint. */
  loadCheckpoint(bytes, opts) { return this.trainerFromCheckpoint(bytes, opts); }

  /** @private */
  _adopt(handle) {
    const t = new Trainer(this, handle);
    this._trainers.add(t);
    return t;
  }

  /** Frees all trainers and the data set, and stops the worker threads. */
  close() {
    if (!this._M) return;
    for (const t of [...this._trainers]) t.free();
    this._M._nlw_data_free();
    this._M._free(this._scratch);
    const pt = this._M.PThread;
    if (pt) for (const w of [...pt.unusedWorkers, ...pt.runningWorkers]) w.terminate();
    this._M = null;
  }
}

export class Trainer {
  /** @private */
  constructor(nl, handle) {
    this._nl = nl;
    this._h = handle;
    /** Number of trainable parameters. */
    this.paramCount = this.params().length;
  }

  /** @private */
  _handle() {
    if (!this._h) throw new NormLabError('this trainer was freed');
    return this._h;
  }

  /**
   * Runs up to n optimiser steps (stops early at the end of an epoch).
   * @param {number} n @returns {Progress}
   */
  trainSteps(n) {
    const nl = this._nl;
    const out = nl._scratch + S_PROGRESS;
    if (!Number.isInteger(n)) throw new NormLabError(`trainSteps: steps must be an integer, got ${n}`);
    nl._check(nl._M._nlw_trainer_train(this._handle(), Math.max(-1, Math.min(n, 0x7fffffff)), out));
    return readProgress(nl._f64s(out, 16));
  }

  /**
   * Sets how many epochs the run trains in all (train on past its plan): 1..1000 and not
   * fewer than the epochs already begun. OneCycle's remaining steps follow the new plan;
   * constant and step schedules continue exactly as a longer run would have.
   * @param {number} epochs
   */
  setEpochs(epochs) {
    const nl = this._nl;
    if (!Number.isInteger(epochs)) throw new NormLabError(`setEpochs: epochs must be an integer, got ${epochs}`);
    nl._check(nl._M._nlw_trainer_set_epochs(this._handle(), epochs));
  }

  /** @returns {Progress} */
  progress() {
    const nl = this._nl;
    const out = nl._scratch + S_PROGRESS;
    nl._check(nl._M._nlw_trainer_progress(this._handle(), out));
    return readProgress(nl._f64s(out, 16));
  }

  /**
   * Evaluates in inference mode on the test (default) or training set, or the validation
   * images the configuration's `val` holds out of the training set.
   * @param {{set?: 'test'|'train'|'val', order?: 'confidence'|'index', limit?: number}} [opts]
   *   misclassified list: most confident mistakes first (default) or in data-set order, at most limit
   * @returns {Evaluation}
   */
  evaluate(opts = {}) {
    const nl = this._nl;
    const M = nl._M;
    const set = opts.set || 'test';
    const SETS = { test: 0, train: 1, val: 2 };
    if (!(set in SETS)) throw new NormLabError(`unknown set '${set}' (use test, train or val)`);
    const h = this._handle();
    nl._check(M._nlw_trainer_evaluate(h, SETS[set], nl._scratch + S_SUMMARY, nl._scratch + S_CONFUSION));
    const summary = nl._f64s(nl._scratch + S_SUMMARY, 13);
    const flat = nl._copyOut(Int32Array, nl._scratch + S_CONFUSION, CLASSES * CLASSES);
    const confusion = [];
    for (let i = 0; i < CLASSES; i++) confusion.push(flat.subarray(i * CLASSES, (i + 1) * CLASSES));

    const s = nl._scratch + S_PTRS;
    nl._check(M._nlw_trainer_eval_predictions(h, s, s + 4, s + 8));
    const n = nl._i32(s + 8);
    const pred = nl._copyOut(Uint8Array, nl._u32(s), n);
    const conf = nl._copyOut(Float32Array, nl._u32(s + 4), n);

    // Sorted here (O(n log n)) rather than by the core's insertion into a top-k list, which
    // is quadratic when all mistakes are wanted; same order: confidence, then index.
    const labels = set === 'val' ? this._valLabels() : nl.labels(set);
    const wrong = [];
    for (let i = 0; i < n; i++) if (pred[i] !== labels[i]) wrong.push(i);
    if (opts.order !== 'index') wrong.sort((a, b) => conf[b] - conf[a] || a - b);
    const limit = opts.limit === undefined ? wrong.length : Math.max(0, Math.floor(opts.limit));
    const misclassified = wrong.slice(0, limit).map((i) => ({ index: i, label: labels[i], pred: pred[i], conf: conf[i] }));
    return { set, n, loss: summary[1], acc: summary[2], classAcc: summary.slice(3, 13), confusion, misclassified, pred, conf };
  }

  /**
   * Logits for images in CIFAR layout ([n][3072] bytes), in inference mode.
   * @param {Uint8Array} images @returns {Float32Array} [n][10]
   */
  predict(images) {
    const nl = this._nl;
    const u8 = toU8(images);
    if (u8.length === 0 || u8.length % IMAGE_BYTES) {
      throw new NormLabError(`predict: ${u8.length} bytes is not a whole number of ${IMAGE_BYTES}-byte images`);
    }
    const n = u8.length / IMAGE_BYTES;
    const inPtr = nl._copyIn(u8);
    const outPtr = nl._malloc(4 * CLASSES * n);
    try {
      nl._check(nl._M._nlw_trainer_predict(this._handle(), inPtr, n, outPtr));
      return nl._copyOut(Float32Array, outPtr, CLASSES * n);
    } finally {
      nl._M._free(inPtr);
      nl._M._free(outPtr);
    }
  }

  /** A copy of the trainable parameters (layout order of core/nn/nl_model.h). @returns {Float32Array} */
  params() {
    const nl = this._nl;
    const s = nl._scratch + S_PTRS;
    nl._check(nl._M._nlw_trainer_params(this._handle(), s, s + 4));
    return nl._copyOut(Float32Array, nl._u32(s), nl._i32(s + 4));
  }

  /** A copy of the BatchNorm running mean/var (empty for GN/LN). @returns {Float32Array} */
  bnState() {
    const nl = this._nl;
    const s = nl._scratch + S_PTRS;
    nl._check(nl._M._nlw_trainer_bn_state(this._handle(), s, s + 4));
    return nl._copyOut(Float32Array, nl._u32(s), nl._i32(s + 4));
  }

  /** Parameter and receptive-field table. @returns {{layers: LayerReport[], total: number}} */
  report() {
    const nl = this._nl;
    return nl._json(nl._M._nlw_trainer_report_json(this._handle(), nl._scratch + S_PTRS));
  }

  /** The trainer's complete configuration (every field; the seed as a decimal string). @returns {Config} */
  config() {
    const nl = this._nl;
    return nl._json(nl._M._nlw_trainer_config_json(this._handle(), nl._scratch + S_PTRS));
  }

  /** Images trained on and held out for validation, with the current data set. @returns {{train: number, val: number}} */
  dataSplit() {
    const nl = this._nl;
    return nl._json(nl._M._nlw_trainer_data_json(this._handle(), nl._scratch + S_PTRS));
  }

  /** @private the validation images' labels (the core picks them: see the `val` field) */
  _valLabels() {
    const nl = this._nl;
    const s = nl._scratch + S_PTRS;
    nl._check(nl._M._nlw_trainer_val_images(this._handle(), s, s + 4, s + 8));
    return nl._copyOut(Uint8Array, nl._u32(s + 4), nl._i32(s + 8));
  }

  /** Checkpoint bytes (readable by the native CLI too). @returns {Uint8Array} */
  saveCheckpoint() {
    const nl = this._nl;
    const s = nl._scratch + S_PTRS;
    nl._check(nl._M._nlw_checkpoint_save(this._handle(), s, s + 4));
    const p = nl._u32(s);
    try {
      return nl._copyOut(Uint8Array, p, nl._u32(s + 4));
    } finally {
      nl._M._free(p);
    }
  }

  /**
   * The weights as a safetensors file whose tensors equal the PyTorch reference module's
   * state_dict (tools/pytorch/normlab_model.py), with the model description in its metadata.
   * @returns {Uint8Array}
   */
  exportSafetensors() {
    const nl = this._nl;
    const s = nl._scratch + S_PTRS;
    nl._check(nl._M._nlw_safetensors_export(this._handle(), s, s + 4));
    const p = nl._u32(s);
    try {
      return nl._copyOut(Uint8Array, p, nl._u32(s + 4));
    } finally {
      nl._M._free(p);
    }
  }

  /** The model description in the shared JSON format (see tools/pytorch/README.md). @returns {object} */
  modelJson() {
    const nl = this._nl;
    const s = nl._scratch + S_PTRS;
    nl._check(nl._M._nlw_trainer_model_json(this._handle(), s));
    return JSON.parse(nl._M.UTF8ToString(nl._u32(s)));
  }

  /** Releases the trainer's Wasm memory and threads. Further calls throw. */
  free() {
    if (!this._h) return;
    this._nl._check(this._nl._M._nlw_trainer_free(this._h));
    this._nl._trainers.delete(this);
    this._h = 0;
  }
}

function readProgress(v) {
  /** @type {any} */
  const p = {};
  PROGRESS_KEYS.forEach((k, i) => { p[k] = BOOL_PROGRESS.has(k) ? v[i] !== 0 : v[i]; });
  return /** @type {Progress} */ (p);
}

// ---- data loading: archives as streams of byte pieces ----

/** The source as an async iterable of Uint8Array pieces. */
async function* byteChunks(source) {
  if (source && typeof source.getReader === 'function') { // ReadableStream
    const reader = source.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield toU8(value);
      }
    } finally {
      reader.releaseLock();
    }
  }
  if (source && typeof source.stream === 'function' && typeof source.size === 'number') { // Blob / File
    yield* byteChunks(source.stream());
    return;
  }
  if (source && typeof source[Symbol.asyncIterator] === 'function') {
    for await (const c of source) yield toU8(c);
    return;
  }
  yield toU8(source);
}

/** Reads pieces until the first two bytes are known: gzip (1f 8b) or not. Returns the
 * decision and the same pieces again, the ones already read first. */
async function sniffGzip(pieces) {
  const it = pieces[Symbol.asyncIterator]();
  const head = [];
  let n = 0;
  while (n < 2) {
    const { done, value } = await it.next();
    if (done) break;
    if (value.length) head.push(value), n += value.length;
  }
  const first = new Uint8Array(2);
  let k = 0;
  for (const h of head) for (let i = 0; i < h.length && k < 2; i++) first[k++] = h[i];
  async function* all() {
    yield* head;
    for (;;) {
      const { done, value } = await it.next();
      if (done) return;
      yield value;
    }
  }
  return { gzip: k === 2 && first[0] === 0x1f && first[1] === 0x8b, chunks: { empty: n === 0, iterable: all() } };
}

/** Decompresses gzip pieces with the platform; its errors (corrupt or cut data) become
 * NormLabErrors "archive: gzip: <the platform's message>". */
async function* gunzipChunks(pieces) {
  try {
    yield* platformGunzip(pieces);
  } catch (e) {
    if (e instanceof NormLabError) throw e;
    throw new NormLabError(`archive: gzip: ${e && e.message ? e.message : e}`, 3);
  }
}

/** node:zlib in Node, DecompressionStream elsewhere. */
async function* platformGunzip(pieces) {
  if (isNode) {
    const zlib = await nodeImport('node:zlib');
    const { Readable } = await nodeImport('node:stream');
    const gunzip = zlib.createGunzip();
    const src = Readable.from(pieces);
    src.on('error', (e) => gunzip.destroy(e));
    src.pipe(gunzip);
    try {
      for await (const out of gunzip) yield new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } finally {
      src.destroy();
      gunzip.destroy();
    }
    return;
  }
  if (typeof DecompressionStream !== 'function') {
    throw new NormLabError('archive: this browser has no DecompressionStream: unpack the .tar.gz to a .tar first', 1);
  }
  const it = pieces[Symbol.asyncIterator]();
  const input = new ReadableStream({
    async pull(controller) {
      const { done, value } = await it.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel() { if (it.return) await it.return(); },
  });
  yield* byteChunks(input.pipeThrough(new DecompressionStream('gzip')));
}

/** @returns {Uint8Array} */
function toU8(b) {
  if (b instanceof Uint8Array) return b;
  if (b instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && b instanceof SharedArrayBuffer)) {
    return new Uint8Array(b);
  }
  if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  throw new NormLabError('expected a Uint8Array or ArrayBuffer');
}

export default NormLab;
