// Shared helpers of the Node tests: loading the Wasm builds, running the native parity
// tool, training exactly N steps, and comparing bits.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { NormLab, NormLabError, configText, mergeConfig } from '../../wasm_bindings/normlab.js';

export { NormLab, NormLabError, configText, mergeConfig };
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WASM_DIR = process.env.NL_WASM_DIR || join(ROOT, 'build', 'wasm');

/** Loads a variant, failing with the build command if it was not built. */
export async function loadNormLab(variant, threads = 1, opts = {}) {
  const file = variant === 'mt' ? 'normlab-simd-mt.js' : 'normlab-simd.js';
  if (!existsSync(join(WASM_DIR, file))) {
    throw new Error(`${join(WASM_DIR, file)} is missing: run wasm_bindings/build.sh first`);
  }
  return NormLab.create({ variant, threads, ...opts });
}

/** Path of the native tool (NL_BUILD_DIR or build/), failing with the build command if missing. */
export function nativeToolPath() {
  const dir = process.env.NL_BUILD_DIR || 'build';
  const tool = join(isAbsolute(dir) ? dir : join(ROOT, dir), 'nl_parity_tool');
  if (!existsSync(tool)) {
    throw new Error(`${tool} is missing: run cmake -S . -B build && cmake --build build --target nl_parity_tool`);
  }
  return tool;
}

/** Runs the native tool; returns its JSON (params etc. as Buffers). */
export function runNative(args) {
  const out = execFileSync(nativeToolPath(), args, { maxBuffer: 256 << 20, encoding: 'utf8' });
  const r = JSON.parse(out);
  r.params = Buffer.from(r.params, 'base64');
  r.bnState = Buffer.from(r.bnState, 'base64');
  if (r.eval) {
    r.eval.pred = Buffer.from(r.eval.pred, 'base64');
    r.eval.conf = Buffer.from(r.eval.conf, 'base64');
  }
  return r;
}

/** Trains exactly n steps (trainSteps stops at each epoch's end); returns the last progress. */
export function trainN(trainer, n) {
  let done = 0;
  let p = trainer.progress();
  while (done < n && !p.finished) {
    p = trainer.trainSteps(n - done);
    done += p.stepsRun;
  }
  return p;
}

/** The bytes of a typed array, for exact (bitwise) comparison. */
export function bytes(ta) {
  return Buffer.from(ta.buffer, ta.byteOffset, ta.byteLength);
}

/** A temporary folder, removed by the returned cleanup function. */
export function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'normlab-node-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
