// Synthetic CIFAR-10 data in the official binary format, for the Node tests: class-dependent
// colour stripes plus seeded noise (learnable in a few steps), packed as the six batch
// files, as a folder of them, and as a .tar.gz in the official layout.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const RECORD = 3073;
export const BATCH_NAMES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin',
  'data_batch_5.bin', 'test_batch.bin'];
const CLASS_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const COLOURS = [[230, 40, 40], [40, 230, 40], [40, 40, 230], [230, 230, 40], [230, 40, 230], [40, 230, 230],
  [130, 130, 130], [250, 150, 60], [90, 20, 140], [20, 90, 60]];

/** mulberry32: a small seeded PRNG, so the data is the same on every run. */
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
 * n records: label byte + 1024 R + 1024 G + 1024 B.
 * @param {number} n @param {number} seed @returns {Uint8Array}
 */
export function makeBatch(n, seed) {
  const rand = rng(seed);
  const out = new Uint8Array(n * RECORD);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rand() * 10);
    const rec = i * RECORD;
    out[rec] = c;
    for (let ch = 0; ch < 3; ch++) {
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) {
          const stripe = c < 5 ? (y >> 2) & 1 : (x >> 2) & 1;
          const v = COLOURS[c][ch] * (stripe ? 1 : 0.6) + (rand() - 0.5) * 80;
          out[rec + 1 + ch * 1024 + y * 32 + x] = Math.max(0, Math.min(255, Math.round(v)));
        }
      }
    }
  }
  return out;
}

/** Six batches: nTrain images over five files (any whole number of records each), nTest in the last. */
export function makeBatches(nTrain = 512, nTest = 256, seed = 1) {
  const batches = [];
  let left = nTrain;
  for (let b = 0; b < 5; b++) {
    const n = Math.ceil(left / (5 - b));
    batches.push(makeBatch(n, seed * 100 + b));
    left -= n;
  }
  batches.push(makeBatch(nTest, seed * 100 + 99));
  return batches;
}

/** One ustar header block. */
function tarHeader(name, size, type) {
  const h = Buffer.alloc(512);
  const put = (off, len, s) => h.write(s, off, len, 'latin1');
  const octal = (v, len) => v.toString(8).padStart(len - 1, '0') + '\0';
  put(0, 100, name);
  put(100, 8, type === '5' ? '0000755\0' : '0000644\0');
  put(108, 8, octal(1000, 8));
  put(116, 8, octal(1000, 8));
  put(124, 12, octal(size, 12));
  put(136, 12, octal(1262304000, 12));
  put(148, 8, '        '); // checksum counts as spaces while summing
  put(156, 1, type);
  put(257, 6, 'ustar\0');
  put(263, 2, '00');
  put(265, 32, 'normlab');
  put(297, 32, 'normlab');
  let sum = 0;
  for (const b of h) sum += b;
  put(148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

/** A tar archive of [name, bytes] files (directories: bytes null). */
export function makeTar(entries) {
  const parts = [];
  for (const [name, data] of entries) {
    parts.push(tarHeader(name, data ? data.length : 0, data ? '0' : '5'));
    if (data) {
      parts.push(Buffer.from(data.buffer, data.byteOffset, data.length));
      const pad = (512 - (data.length % 512)) % 512;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(1024)); // end of archive
  return Buffer.concat(parts);
}

/** cifar-10-binary.tar.gz as the official one is laid out. @returns {Uint8Array} */
export function makeTarGz(batches) {
  const dir = 'cifar-10-batches-bin/';
  const meta = Buffer.from(CLASS_NAMES.join('\n') + '\n\n', 'latin1');
  const entries = [[dir, null], [dir + 'batches.meta.txt', meta]];
  BATCH_NAMES.forEach((name, i) => entries.push([dir + name, batches[i]]));
  entries.push([dir + 'readme.html', Buffer.from('<html>synthetic</html>\n')]);
  return new Uint8Array(gzipSync(makeTar(entries)));
}

/** Writes the batches to dir/cifar-10-batches-bin/ and the archive to dir/cifar-10-binary.tar.gz. */
export function writeDataset(dir, batches) {
  const folder = join(dir, 'cifar-10-batches-bin');
  mkdirSync(folder, { recursive: true });
  BATCH_NAMES.forEach((name, i) => writeFileSync(join(folder, name), batches[i]));
  const tgz = makeTarGz(batches);
  const tgzPath = join(dir, 'cifar-10-binary.tar.gz');
  writeFileSync(tgzPath, tgz);
  return { folder, tgz, tgzPath };
}
