// Recognises what the user dropped or picked (the official cifar-10-binary.tar.gz, a .tar, or
// the six .bin files), reads plain tar archives, and turns loader errors into messages a
// student can act on. Pure: works on names, sizes and bytes.

export const RECORD_BYTES = 3073;
export const BATCH_NAMES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin',
  'data_batch_5.bin', 'test_batch.bin'];
export const OFFICIAL_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
export const OFFICIAL_PAGE = 'https://www.cs.toronto.edu/~kriz/cifar.html';

const HELP = 'Use the binary version of CIFAR-10 (cifar-10-binary.tar.gz, 162 MB) or its six .bin files.';

/** The part of a path after the last '/'. @param {string} p */
export function baseName(p) {
  return String(p).split(/[\\/]/).pop();
}

/**
 * Decides what a set of files is.
 * @param {Array<{name: string, size: number}>} files (names may carry a folder path)
 * @returns {{kind: 'targz'|'tar', index: number} | {kind: 'batches', order: number[]} | {error: string}}
 */
export function classifyFiles(files) {
  if (!files || files.length === 0) return { error: 'No file was given.' };
  const names = files.map((f) => baseName(f.name).toLowerCase());
  const archives = [];
  names.forEach((n, i) => {
    if (/\.(tar\.gz|tgz|gz)$/.test(n)) archives.push({ kind: 'targz', index: i });
    else if (/\.tar$/.test(n)) archives.push({ kind: 'tar', index: i });
  });
  const order = BATCH_NAMES.map((b) => names.indexOf(b));
  if (order.every((i) => i >= 0)) {
    const bad = order.find((i) => files[i].size === 0 || files[i].size % RECORD_BYTES !== 0);
    if (bad !== undefined) {
      return { error: `${names[bad]} has ${files[bad].size} bytes, not a whole number of ${RECORD_BYTES}-byte CIFAR records: the file is damaged or not CIFAR-10 binary.` };
    }
    return { kind: 'batches', order };
  }
  if (archives.length === 1) {
    const a = archives[0];
    if (/python|matlab|mat\b/.test(names[a.index])) {
      return { error: `${baseName(files[a.index].name)} looks like the Python or MATLAB version. ${HELP}` };
    }
    if (files[a.index].size === 0) return { error: `${baseName(files[a.index].name)} is empty.` };
    return a;
  }
  if (archives.length > 1) return { error: 'Give one archive at a time.' };
  const bins = names.filter((n) => n.endsWith('.bin'));
  if (bins.length > 0) {
    const missing = BATCH_NAMES.filter((b) => !names.includes(b));
    return { error: `Missing ${missing.join(', ')}. Select all six .bin files together (data_batch_1..5.bin and test_batch.bin).` };
  }
  if (names.some((n) => n.endsWith('.zip'))) return { error: `A .zip is not supported. ${HELP}` };
  return { error: `${names.length === 1 ? baseName(files[0].name) : `${names.length} files`}: not CIFAR-10. ${HELP}` };
}

/**
 * What the first bytes of a file look like.
 * @param {Uint8Array} head at least 263 bytes for tar detection
 * @returns {'gzip'|'tar'|'zip'|'html'|'unknown'}
 */
export function sniff(head) {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 3 && head[3] === 4) return 'zip';
  if (head.length >= 262 && String.fromCharCode(...head.subarray(257, 262)) === 'ustar') return 'tar';
  const text = String.fromCharCode(...head.subarray(0, 64)).trimStart().toLowerCase();
  if (text.startsWith('<!doctype') || text.startsWith('<html')) return 'html';
  return 'unknown';
}

function readOctal(u8, off, len) {
  let s = '';
  for (let i = off; i < off + len; i++) {
    const c = u8[i];
    if (c === 0 || c === 0x20) {
      if (s) break;
      continue;
    }
    if (c < 0x30 || c > 0x37) return NaN;
    s += String.fromCharCode(c);
  }
  return s ? parseInt(s, 8) : 0;
}

function readString(u8, off, len) {
  let end = off;
  while (end < off + len && u8[end] !== 0) end++;
  let s = '';
  for (let i = off; i < end; i++) s += String.fromCharCode(u8[i]);
  return s;
}

/**
 * Lists the regular files of a (ustar / GNU) tar archive.
 * @param {Uint8Array} u8
 * @returns {Array<{name: string, offset: number, size: number}>}
 * @throws {Error} on a damaged archive
 */
export function readTar(u8) {
  const files = [];
  let off = 0;
  let longName = null;
  while (off + 512 <= u8.length) {
    const h = u8.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break; // end of archive
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
    const stored = readOctal(h, 148, 8);
    if (stored !== sum) throw new Error(`tar header at byte ${off} is damaged (checksum)`);
    const size = readOctal(h, 124, 12);
    if (!Number.isFinite(size)) throw new Error(`tar header at byte ${off} has a bad size`);
    const type = String.fromCharCode(h[156] || 0x30);
    let name = readString(h, 0, 100);
    const prefix = readString(h, 345, 155);
    if (prefix && readString(h, 257, 5) === 'ustar') name = `${prefix}/${name}`;
    const dataOff = off + 512;
    if (dataOff + size > u8.length) throw new Error(`${name} is cut off: the archive is truncated`);
    if (type === 'L') {
      longName = readString(u8, dataOff, size);
    } else {
      if (longName) name = longName;
      longName = null;
      if (type === '0' || type === '\0' || type === '7') files.push({ name, offset: dataOff, size });
    }
    off = dataOff + Math.ceil(size / 512) * 512;
  }
  return files;
}

/**
 * The six batch files from a plain tar archive of CIFAR-10 (views into u8).
 * @param {Uint8Array} u8 @returns {Uint8Array[]}
 * @throws {Error} with a message for the user
 */
export function batchesFromTar(u8) {
  const entries = readTar(u8);
  return BATCH_NAMES.map((b) => {
    const e = entries.find((x) => baseName(x.name) === b);
    if (!e) throw new Error(`the archive has no ${b}. ${HELP}`);
    return u8.subarray(e.offset, e.offset + e.size);
  });
}

/**
 * A message for a data set that did not load.
 * @param {string} fileName @param {string} detail the loader's message
 * @param {Uint8Array} [head] first bytes of the file, to say what it is instead
 */
export function loadErrorMessage(fileName, detail, head) {
  const kind = head ? sniff(head) : 'unknown';
  const name = fileName ? `${fileName}: ` : '';
  if (kind === 'zip') return `${name}this is a .zip archive, not CIFAR-10 binary. ${HELP}`;
  if (kind === 'html') return `${name}this is a web page, not the data set (the download probably failed). ${HELP}`;
  if (head && kind === 'unknown' && /\.(gz|tgz)$/i.test(fileName || '')) {
    return `${name}not a gzip file (damaged or incomplete download). ${HELP}`;
  }
  const d = String(detail || 'unknown error').replace(/^[a-z_]+: /, '');
  return `${name}could not read the data set: ${d}. ${HELP}`;
}
