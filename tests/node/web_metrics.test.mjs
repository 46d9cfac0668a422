// The page's formatting, CIFAR image conversion and metrics export.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CLASS_NAMES, cifarToRgba, classCounts, classNames, samplesPerClass } from '../../web/lib/cifar.js';
import {
  etaSeconds, formatBytes, formatDuration, formatInt, formatLoss, formatPct, formatSci, slug,
} from '../../web/lib/format.js';
import { CSV_COLUMNS, csvField, runColour, runsToCsv, runsToJson, summarize } from '../../web/lib/metrics.js';

test('formatting for people', () => {
  assert.equal(formatDuration(0), '0 s');
  assert.equal(formatDuration(59.4), '59 s');
  assert.equal(formatDuration(185), '3 min 05 s');
  assert.equal(formatDuration(3725), '1 h 02 min');
  assert.equal(formatDuration(NaN), '–');
  assert.equal(formatDuration(-1), '–');
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1500), '1.5 kB');
  assert.equal(formatBytes(170052171), '170 MB');
  assert.equal(formatPct(0.8234), '82.3%');
  assert.equal(formatPct(NaN), '–');
  assert.equal(formatSci(0.05), '0.05');
  assert.equal(formatSci(0.0005), '5e-4');
  assert.equal(formatSci(2.0000000298023226e-7), '2e-7');
  assert.equal(formatSci(0), '0');
  assert.equal(formatSci(0.0375), '0.0375');
  assert.equal(formatInt(49536), '49,536');
  assert.equal(formatInt(1234567.6), '1,234,568');
  assert.equal(formatLoss(1.23456), '1.235');
  assert.equal(formatLoss(0.012345), '0.0123');
  assert.equal(slug('GN (4 groups) #2'), 'gn-4-groups-2');
  assert.equal(slug('***'), 'run');
});

test('ETA: steps at the measured speed plus the evaluations left', () => {
  assert.equal(etaSeconds({ stepsLeft: 100, stepsPerSec: 4 }), 25);
  assert.equal(etaSeconds({ stepsLeft: 100, stepsPerSec: 4, evalsLeft: 2, evalSeconds: 5 }), 35);
  assert.ok(Number.isNaN(etaSeconds({ stepsLeft: 100, stepsPerSec: 0 })));
});

test('CIFAR pixels (planar RGB) to RGBA', () => {
  const img = new Uint8Array(3072 + 5);
  img[5 + 0] = 10; // R of pixel 0
  img[5 + 1024] = 20; // G of pixel 0
  img[5 + 2048] = 30; // B of pixel 0
  img[5 + 1023] = 99; // R of the last pixel
  const rgba = cifarToRgba(img, 5);
  assert.equal(rgba.length, 4096);
  assert.deepEqual([...rgba.subarray(0, 4)], [10, 20, 30, 255]);
  assert.equal(rgba[4 * 1023], 99);
});

test('sample picks, class counts and class names', () => {
  const labels = Uint8Array.from([3, 3, 1, 3, 9, 1, 0, 12]);
  const picks = samplesPerClass(labels, 2);
  assert.deepEqual(picks[3], [0, 1]);
  assert.deepEqual(picks[1], [2, 5]);
  assert.deepEqual(picks[9], [4]);
  assert.deepEqual(picks[5], []);
  assert.deepEqual(classCounts(labels), [1, 2, 0, 3, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual(classNames(['a', 'b']), CLASS_NAMES);
  assert.deepEqual(classNames(CLASS_NAMES.map((s) => ` ${s} `)), CLASS_NAMES);
  assert.equal(classNames([...CLASS_NAMES.slice(0, 9), 'pickup_truck'])[9], 'pickup truck');
});

const run = {
  id: 1,
  label: 'GN (4 groups)',
  status: 'finished',
  model: { norm: 'gn', groups: 4 },
  settings: { maxLr: 0.05, schedule: 'onecycle', l1: 0, l2: 0.0005, batch: 32, epochs: 2, augCrop: 4, augFlip: true, augCutout: 8, seed: '1' },
  paramCount: 49536,
  seconds: 12.5,
  epochsDone: 2,
  epochs: [
    { epoch: 1, trainLoss: 2.1, trainAcc: 0.3, testLoss: 1.9, testAcc: 0.35, lr: 0.04, seconds: 6 },
    { epoch: 2, trainLoss: 1.5, trainAcc: 0.5, testLoss: 1.6, testAcc: 0.45, lr: 2e-7, seconds: 12.5 },
  ],
  batches: [[0.5, 2.2], [1, 2.0], [1.5, 1.7], [2, 1.4]],
  finalEval: { loss: 1.6, acc: 0.45, classAcc: new Float64Array(10).fill(0.45), confusion: new Int32Array(100).fill(1), mis: [{ index: 3, label: 1, pred: 2, conf: 0.9 }] },
};

test('summaries: best accuracies and epochs', () => {
  const s = summarize(run);
  assert.equal(s.bestTrainAcc, 0.5);
  assert.equal(s.bestTestAcc, 0.45);
  assert.equal(s.bestEpoch, 2);
  assert.equal(s.epochs, 2);
  const empty = summarize({ epochs: [] });
  assert.ok(Number.isNaN(empty.bestTestAcc));
  // a checkpoint loaded from a file: no history, only its evaluation
  const loaded = summarize({ epochs: [], epochsDone: 7, finalEval: { acc: 0.8 } });
  assert.equal(loaded.bestTestAcc, 0.8);
  assert.equal(loaded.epochs, 7);
});

test('CSV: one row per run and epoch, quoted where needed', () => {
  const csv = runsToCsv([run, { ...run, id: 2, label: 'BN, "big"', model: { norm: 'bn' }, epochs: run.epochs.slice(0, 1) }]);
  const lines = csv.trimEnd().split('\r\n');
  assert.equal(lines.length, 4);
  assert.equal(lines[0], CSV_COLUMNS.join(','));
  assert.equal(lines[1], '1,GN (4 groups),gn,4,1,2.1,0.3,1.9,0.35,0.04,6,0.05,onecycle,0,0.0005,32,2,4,true,8,1,49536');
  assert.ok(lines[3].startsWith('2,"BN, ""big""",bn,,1,'));
  assert.equal(csvField(NaN), '');
  assert.equal(csvField(0.1 + 0.2), '0.3');
  assert.equal(csvField('a\nb'), '"a\nb"');
});

test('JSON: settings, per-epoch and per-step metrics, final evaluation', () => {
  const j = runsToJson([run], { classNames: CLASS_NAMES, created: 'now' });
  assert.equal(j.format, 'normlab-metrics');
  assert.equal(j.runs.length, 1);
  const r = j.runs[0];
  assert.equal(r.bestTestAcc, 0.45);
  assert.equal(r.epochs.length, 2);
  assert.deepEqual(r.steps[0], [0.5, 2.2]);
  assert.equal(r.finalEval.confusion.length, 10);
  assert.equal(r.finalEval.confusion[9].length, 10);
  assert.equal(r.finalEval.classAcc.length, 10);
  assert.deepEqual(JSON.parse(JSON.stringify(j)), j);
});

test('run colours: one hue per normalization, shades for repeats', () => {
  assert.notEqual(runColour('bn', 0), runColour('gn', 0));
  assert.notEqual(runColour('gn', 0), runColour('ln', 0));
  assert.notEqual(runColour('bn', 0), runColour('bn', 1));
  assert.equal(runColour('bn', 0), runColour('bn', 3));
  assert.match(runColour('nope', 0), /^#[0-9a-f]{6}$/);
});
