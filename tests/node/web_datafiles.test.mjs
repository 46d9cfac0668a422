// The page's data-file handling: recognising what the user gave, reading plain tar
// archives, and error messages for wrong or damaged files.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  BATCH_NAMES, RECORD_BYTES, baseName, batchesFromTar, classifyFiles, loadErrorMessage, readTar, sniff,
} from '../../web/lib/datafiles.js';
import { makeBatches, makeTar, makeTarGz } from '../browser/support.mjs';

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

test('a plain tar of CIFAR-10 gives the six batches', () => {
  const batches = makeBatches(50, 20, 3);
  const dir = 'cifar-10-batches-bin/';
  const entries = [[dir, null], [dir + 'batches.meta.txt', new TextEncoder().encode('airplane\n')]];
  BATCH_NAMES.forEach((n, i) => entries.push([dir + n, batches[i]]));
  const tar = new Uint8Array(makeTar(entries));
  const files = readTar(tar);
  assert.equal(files.length, 7);
  assert.equal(files[1].name, `${dir}data_batch_1.bin`);
  const got = batchesFromTar(tar);
  got.forEach((b, i) => assert.ok(Buffer.from(b).equals(Buffer.from(batches[i]))));
});

test('damaged tar archives throw clear errors', () => {
  const batches = makeBatches(20, 10, 4);
  const entries = BATCH_NAMES.map((n, i) => [n, batches[i]]);
  const tar = new Uint8Array(makeTar(entries));
  const flipped = tar.slice();
  flipped[10] ^= 0xff;
  assert.throws(() => readTar(flipped), /damaged \(checksum\)/);
  assert.throws(() => readTar(tar.slice(0, 5000)), /cut off: the archive is truncated/);
  assert.throws(() => batchesFromTar(new Uint8Array(makeTar(entries.slice(0, 5)))), /no test_batch\.bin/);
  assert.deepEqual(readTar(new Uint8Array(1024)), []);
});

test('loader errors become messages about the file', () => {
  const gz = makeTarGz(makeBatches(20, 10, 5));
  assert.match(loadErrorMessage('x.tar.gz', 'format: gzip: bad deflate block', gz.subarray(0, 512)),
    /^x\.tar\.gz: could not read the data set: gzip: bad deflate block\. Use the binary version/);
  assert.match(loadErrorMessage('x.tar.gz', 'whatever', new TextEncoder().encode('<html><body>404</body></html>')), /web page/);
  assert.match(loadErrorMessage('x.tar.gz', 'whatever', Uint8Array.from([0x50, 0x4b, 3, 4])), /\.zip archive/);
  assert.match(loadErrorMessage('x.tar.gz', 'whatever', new Uint8Array(600).fill(7)), /not a gzip file/);
  assert.match(loadErrorMessage('', undefined), /could not read the data set: unknown error/);
  assert.equal(baseName('a/b\\c/d.bin'), 'd.bin');
});
