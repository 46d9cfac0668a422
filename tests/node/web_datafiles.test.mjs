// The page's data-file handling: recognising what the user gave, reading plain tar
// archives, and error messages for wrong or damaged files.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  BATCH_NAMES, RECORD_BYTES, baseName, classifyFiles, loadErrorMessage, sniff,
} from '../../web/lib/datafiles.js';
import { makeBatches } from '../browser/support.mjs';
import { makeTar, makeTarGz } from './support_cifar.mjs';

const sized = (names, size = RECORD_BYTES * 10) => names.map((name) => ({ name, size }));

test('the official archive, a plain tar and the six .bin files are recognised', () => {
  assert.deepEqual(classifyFiles(sized(['cifar-10-binary.tar.gz'])), { kind: 'targz', index: 0 });
  assert.deepEqual(classifyFiles(sized(['CIFAR-10-BINARY.TGZ'])), { kind: 'targz', index: 0 });
  assert.deepEqual(classifyFiles(sized(['cifar-10-binary.tar'])), { kind: 'tar', index: 0 });
  const shuffled = ['test_batch.bin', 'data_batch_3.bin', 'batches.meta.txt', 'data_batch_1.bin', 'data_batch_5.bin',
    'data_batch_2.bin', 'data_batch_4.bin', 'readme.html'];
  const c = classifyFiles(sized(shuffled));
  assert.equal(c.kind, 'batches');
  assert.deepEqual(c.order.map((i) => shuffled[i]), BATCH_NAMES);
  // from a dropped folder: names carry the path
  const inFolder = classifyFiles(sized(BATCH_NAMES.map((n) => `cifar-10-batches-bin/${n}`)));
  assert.equal(inFolder.kind, 'batches');
});

test('wrong files get a message that says what to use instead', () => {
  assert.match(classifyFiles([]).error, /No file/);
  assert.match(classifyFiles(sized(['cifar-10-python.tar.gz'])).error, /Python or MATLAB version.*binary version/);
  assert.match(classifyFiles(sized(['photo.jpg'])).error, /photo\.jpg: not CIFAR-10.*binary version/);
  assert.match(classifyFiles(sized(['cifar.zip'])).error, /\.zip is not supported/);
  assert.match(classifyFiles(sized(['data_batch_1.bin', 'test_batch.bin'])).error, /Missing data_batch_2\.bin, .*data_batch_5\.bin/);
  assert.match(classifyFiles(sized(['a.tar.gz', 'b.tar.gz'])).error, /one archive/);
  assert.match(classifyFiles([{ name: 'cifar-10-binary.tar.gz', size: 0 }]).error, /empty/);
  const bad = sized(BATCH_NAMES);
  bad[2] = { name: BATCH_NAMES[2], size: RECORD_BYTES * 10 + 7 };
  assert.match(classifyFiles(bad).error, /data_batch_3\.bin has 30737 bytes.*3073-byte/);
});

test('sniffing the first bytes', () => {
  assert.equal(sniff(Uint8Array.from([0x1f, 0x8b, 8, 0])), 'gzip');
  assert.equal(sniff(Uint8Array.from([0x50, 0x4b, 3, 4])), 'zip');
  assert.equal(sniff(new TextEncoder().encode('  <!DOCTYPE html><html>')), 'html');
  assert.equal(sniff(new Uint8Array(makeTar([['x', new Uint8Array(3)]]).subarray(0, 512))), 'tar');
  assert.equal(sniff(new Uint8Array(10)), 'unknown');
  assert.equal(sniff(new Uint8Array(0)), 'unknown');
});

test('loader errors become messages about the file and what to do', () => {
  const gz = makeTarGz(makeBatches(20, 10, 5)).subarray(0, 512);
  const m = (detail, head = gz, name = 'x.tar.gz') => loadErrorMessage(name, detail, head);
  assert.match(m('archive: gzip: truncated input (compressed data ends early)'),
    /^x\.tar\.gz: the file is incomplete \(gzip: truncated input \(compressed data ends early\)\): the download was probably cut off\. Download it again\. Use the binary version/);
  assert.match(m('archive: gzip: CRC mismatch (data is corrupt)'), /^x\.tar\.gz: the file is damaged \(gzip: CRC mismatch .*Download it again/);
  assert.match(m('inflate: invalid distance too far back (at compressed byte 215)'), /the file is damaged/);
  // the platform's gzip (normlab.js prefixes "archive: gzip: "): zlib in Node, browsers
  assert.match(m('archive: gzip: unexpected end of file'), /the file is incomplete/);
  assert.match(m('archive: gzip: incorrect data check'), /the file is damaged \(gzip: incorrect data check\)/);
  assert.match(m('archive: gzip: The compressed data was not valid.'), /the file is damaged/);
  assert.match(m('archive: gzip: Compressed input was truncated.'), /the file is incomplete/);
  assert.match(m('archive: not a gzip or tar file', new Uint8Array(600).fill(7)), /not a \.tar\.gz or \.tar archive/);
  assert.match(m('archive: missing data_batch_1.bin'), /does not hold the CIFAR-10 binary files \(missing data_batch_1\.bin\)/);
  assert.match(m('archive: test_batch.bin: size 100 is not a multiple of 3073-byte records'), /not CIFAR-10 binary data/);
  assert.match(m('data_batch_1.bin: record 0 has label 12 (must be 0..9)', undefined, 'the six .bin files'), /^the six \.bin files: this is not CIFAR-10 binary data/);
  assert.match(m('whatever', new TextEncoder().encode('<html><body>404</body></html>')), /web page/);
  assert.match(m('whatever', Uint8Array.from([0x50, 0x4b, 3, 4])), /\.zip archive/);
  assert.match(loadErrorMessage('', undefined), /^could not read the data set: unknown error/);
  assert.equal(baseName('a/b\\c/d.bin'), 'd.bin');
});
