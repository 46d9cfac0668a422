// web/lib/sample_data.js without a browser: where the page looks for the built-in sample,
// what it accepts as its manifest, and the worker message that loads it.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { findSample, loadMessage, sampleText } from '../../web/lib/sample_data.js';

const manifest = { file: 'cifar-10-sample.tar.gz', bytes: 7227881, train: 2000, test: 500, trainPerClass: 200, testPerClass: 50 };
const response = (status, body) => ({ ok: status === 200, status, json: async () => (typeof body === 'string' ? JSON.parse(body) : body) });

test('looks beside the page first, then one level up', async () => {
  const asked = [];
  const fetchFn = async (url) => {
    asked.push(url);
    return url === 'https://h.example/site/assets/cifar-10-sample.json' ? response(200, manifest) : response(404, null);
  };
  const found = await findSample(fetchFn, 'https://h.example/site/web/index.html#norm=bn');
  assert.deepEqual(asked, ['https://h.example/site/web/assets/cifar-10-sample.json', 'https://h.example/site/assets/cifar-10-sample.json']);
  assert.equal(found.url, 'https://h.example/site/assets/cifar-10-sample.tar.gz');
  assert.equal(found.manifest.train, 2000);
});

test('no sample: invalid manifests, network errors and 404s give null', async () => {
  const bad = [{}, null, { ...manifest, file: '../../etc/passwd' }, { ...manifest, train: 0 }, 'not json'];
  for (const body of bad) {
    const fetchFn = async () => (body === 'not json' ? { ok: true, json: async () => { throw new SyntaxError('x'); } } : response(200, body));
    assert.equal(await findSample(fetchFn, 'http://127.0.0.1:8080/'), null, JSON.stringify(body));
  }
  assert.equal(await findSample(async () => { throw new TypeError('Failed to fetch'); }, 'http://127.0.0.1:8080/'), null);
  assert.equal(await findSample(async () => response(404, null), 'http://127.0.0.1:8080/'), null);
});

test('the load message and the text', () => {
  assert.deepEqual(loadMessage(manifest, 'http://h/assets/cifar-10-sample.tar.gz'), {
    type: 'loadServer', kind: 'targz', name: 'cifar-10-sample.tar.gz',
    files: [{ name: 'cifar-10-sample.tar.gz', url: 'http://h/assets/cifar-10-sample.tar.gz', size: 7227881 }],
  });
  const text = sampleText({ train: 2000, test: 500 }, manifest);
  assert.match(text, /^Built-in sample of CIFAR-10: 2,000 training and 500 test images \(200 \+ 50 per class\), not the full set/);
  assert.match(text, /cifar-10-binary\.tar\.gz/);
});
