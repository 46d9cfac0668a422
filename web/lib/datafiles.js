// Recognises what the user dropped or picked (the official cifar-10-binary.tar.gz, a .tar, or
// the six .bin files) and turns loader errors into messages a student can act on. The
// archives themselves are inflated by the browser (DecompressionStream) and unpacked by the
// core in Wasm. Pure: works on names, sizes, bytes.

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

/**
 * A message for a data set that did not load: what is wrong with the file and what to do.
 * @param {string} fileName @param {string} detail the loader's message
 * @param {Uint8Array} [head] first bytes of the file, to say what it is instead
 */
export function loadErrorMessage(fileName, detail, head) {
  const kind = head ? sniff(head) : 'unknown';
  const name = fileName ? `${fileName}: ` : '';
  const d = String(detail || 'unknown error').replace(/^(archive|format|io): /, '');
  if (kind === 'zip') return `${name}this is a .zip archive, not CIFAR-10 binary. ${HELP}`;
  if (kind === 'html') return `${name}this is a web page, not the data set (the download probably failed). ${HELP}`;
  if (/truncated|ends early|unexpected end/i.test(d)) {
    return `${name}the file is incomplete (${d}): the download was probably cut off. Download it again. ${HELP}`;
  }
  // zlib (Node) says e.g. "incorrect data check", browsers "The compressed data was not valid"
  if (/crc|corrupt|inflate|invalid|not valid|incorrect|checksum|bad (block|code|header)|^gzip: /i.test(d)) {
    return `${name}the file is damaged (${d}). Download it again. ${HELP}`;
  }
  if (/not a gzip or tar/i.test(d) || (head && kind === 'unknown' && /\.(gz|tgz|tar)$/i.test(fileName || ''))) {
    return `${name}not a .tar.gz or .tar archive (damaged, or a different file). ${HELP}`;
  }
  if (/missing (data|test)_batch/i.test(d)) {
    return `${name}this archive does not hold the CIFAR-10 binary files (${d}). ${HELP}`;
  }
  if (/multiple of 3073|label \d+|record/i.test(d)) {
    return `${name}this is not CIFAR-10 binary data (${d}). ${HELP}`;
  }
  return `${name}could not read the data set: ${d}. ${HELP}`;
}
