// Turns the experiment's metrics files into RESULTS.md tables: per variant the mean and spread
// (min..max) over seeds of best and final train/test accuracy, wall time and img/s; and the
// L1/L2 study with the share of near-zero weights. Usage: node summarize.mjs RESULTS_DIR
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node summarize.mjs RESULTS_DIR');
  process.exit(2);
}

const has = (f) => existsSync(join(dir, f));
function readRun(file) {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

const pct = (x) => (100 * x).toFixed(2);
function stats(xs) {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, sd, min: Math.min(...xs), max: Math.max(...xs) };
}
const fmt = (s) => `${pct(s.mean)} ± ${pct(s.sd)} (${pct(s.min)}..${pct(s.max)})`;

function summary(run) {
  const last = run[run.length - 1];
  return {
    params: last.params,
    epochs: run.length,
    bestTrain: Math.max(...run.map((e) => e.train_acc)),
    finalTrain: last.train_acc,
    bestTest: Math.max(...run.map((e) => e.test_acc)),
    finalTest: last.test_acc,
    seconds: run.reduce((a, e) => a + e.seconds, 0),
    ips: run.reduce((a, e) => a + e.images_per_sec, 0) / run.length,
  };
}

const files = readdirSync(dir);
const lines = ['# Experiment results', '',
  'Produced by `bash bench/experiment/run.sh` (this file: `node bench/experiment/summarize.mjs`).',
  'Accuracies in %, single-view test accuracy on the 10,000 test images; mean ± standard deviation',
  '(min..max) over seeds. "best" is the best epoch, "final" the last one (the headline). Train accuracy',
  'is measured on the augmented training batches during each epoch, as the CLI logs it.', '',
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}; each run used 2 threads (\`--threads 2\`), one run at a time.`, '',
  'Each run is `build/normlab train --data cifar-10-binary.tar.gz --norm NORM --seed SEED --epochs 20 --threads 2',
  '--save NAME.ckpt --metrics-out NAME.jsonl` with the default model and settings (`build/normlab summary`,',
  '`core/train/schedule.c`: OneCycle max LR 0.1, momentum 0.85-0.95, batch 128, L2 5e-4, random crop (pad 4) + flip),',
  'plus `--max-lr 0.05` for GN and LN (see `bench/experiment/run.sh`);',
  '`bash bench/experiment/run.sh --only report` redraws every table and picture from the files here.', '',
  '| variant | params | seeds | epochs | final test acc | best test acc | final train acc | best train acc | wall time / run | img/s |',
  '|---|---:|---:|---:|---|---|---|---|---:|---:|'];
for (const norm of ['bn', 'gn', 'ln']) {
  const runs = files.filter((f) => new RegExp(`^${norm}_s\\d+\\.jsonl$`).test(f)).sort()
    .map((f) => summary(readRun(join(dir, f))));
  if (!runs.length) continue;
  const s = (k) => stats(runs.map((r) => r[k]));
  lines.push(`| ${norm.toUpperCase()} | ${runs[0].params} | ${runs.length} | ${runs[0].epochs} | ${fmt(s('finalTest'))} | ` +
    `${fmt(s('bestTest'))} | ${fmt(s('finalTrain'))} | ${fmt(s('bestTrain'))} | ` +
    `${(s('seconds').mean / 60).toFixed(1)} min | ${s('ips').mean.toFixed(0)} |`);
}
const reg = [['reg_none', 'none (L2 0)'], ['reg_l1', 'L1 1e-4'], ['bn_s1', 'L2 5e-4 (default)'], ['reg_l1l2', 'L1 1e-4 + L2 5e-4']];
if (reg.some(([n]) => has(`${n}.jsonl`))) {
  lines.push('', '## BN with L1 / L2 regularisation (seed 1)', '',
    '| regularisation | final test acc | best test acc | final train acc | conv weights with abs < 1e-3 | conv L1 norm | conv L2 norm |',
    '|---|---:|---:|---:|---:|---:|---:|');
  for (const [name, label] of reg) {
    if (!has(`${name}.jsonl`)) continue;
    const run = readRun(join(dir, `${name}.jsonl`));
    if (run.length < 20) continue; // still training (or stopped): not a result
    const r = summary(run);
    const w = has(`${name}.weights.json`) ? JSON.parse(readFileSync(join(dir, `${name}.weights.json`), 'utf8')) : null;
    lines.push(`| ${label} | ${pct(r.finalTest)} | ${pct(r.bestTest)} | ${pct(r.finalTrain)} | ` +
      `${w ? (100 * w.conv_near_zero_share).toFixed(2) + ' %' : '-'} | ${w ? w.conv_l1.toFixed(1) : '-'} | ${w ? w.conv_l2.toFixed(2) : '-'} |`);
  }
}
if (has('browser_bn_s1.jsonl') && has('bn_s1.jsonl')) {
  const b = readRun(join(dir, 'browser_bn_s1.jsonl'));
  const n = readRun(join(dir, 'bn_s1.jsonl'));
  const same = b.length === n.length && b.every((e, i) =>
    ['train_loss', 'train_acc', 'test_loss', 'test_acc'].every((k) => e[k] === n[i][k]));
  const bs = summary(b);
  const ns = summary(n);
  lines.push('', '## The same BN training in the web page (seed 1)', '',
    '`node bench/experiment/browser_run.mjs` trains in the playground page in headless Chromium (the Wasm',
    'build, Web Worker, 2 threads) with the same settings as the native `bn_s1` run.', '',
    '| where | params | epochs | final test acc | final train acc | wall time | img/s |',
    '|---|---:|---:|---:|---:|---:|---:|',
    `| native CLI | ${ns.params} | ${ns.epochs} | ${pct(ns.finalTest)} | ${pct(ns.finalTrain)} | ${(ns.seconds / 60).toFixed(1)} min | ${ns.ips.toFixed(0)} |`,
    `| web page (Wasm) | ${bs.params} | ${bs.epochs} | ${pct(bs.finalTest)} | ${pct(bs.finalTrain)} | ${(bs.seconds / 60).toFixed(1)} min | ${bs.ips.toFixed(0)} |`,
    '', `Per-epoch losses and accuracies identical to the native run: **${same ? 'yes' : 'no'}**.` +
    (has('browser_vs_native.txt') ? ` Trained weights: ${readFileSync(join(dir, 'browser_vs_native.txt'), 'utf8').trim()}` : ''));
}
// the pictures and tables the run drew (each written by the normlab command named beside it)
if (has('curves.png')) {
  lines.push('', '## Curves (seed 1)', '', '`normlab plot` of the three runs\' metrics: loss, accuracy, train-test gap, learning rate.',
    '', '![BN, GN and LN training curves](curves.png)');
}
if (has('regularisation.png')) lines.push('', '![BN with L1 / L2 regularisation](regularisation.png)');
const grids = ['bn', 'gn', 'ln'].filter((n) => has(`${n}_mistakes.png`));
if (grids.length) {
  lines.push('', '## Misclassified test images (seed 1)', '',
    '`normlab eval --misclassified`: the first 10 misclassified test images of each final model, as a 5x2 grid',
    'annotated with the true and the predicted class.');
  for (const n of grids) {
    // caption: the model's test accuracy, from the first line `normlab eval` prints
    // ("test loss L  accuracy A% (N images)"), not the last (a confusion-matrix row)
    const ev = has(`${n}_eval.txt`) ? readFileSync(join(dir, `${n}_eval.txt`), 'utf8') : '';
    const m = /accuracy\s+([\d.]+%)\s+\((\d+) images\)/.exec(ev);
    const caption = m ? ` (test accuracy ${m[1]} on ${Number(m[2]).toLocaleString('en-US')} images)` : '';
    lines.push('', `**${n.toUpperCase()}**${caption}`, '', `![${n.toUpperCase()} misclassified](${n}_mistakes.png)`);
  }
}
if (has('bn_confusion.png')) {
  lines.push('', '## BN confusion matrix (seed 1)', '', '`normlab confusion`: rows are the true class, columns the prediction.',
    '', '![BN confusion matrix](bn_confusion.png)');
}
for (const n of ['bn', 'gn', 'ln']) {
  if (!has(`${n}_summary.txt`)) continue;
  lines.push('', `## ${n.toUpperCase()}: parameters and receptive field (\`normlab summary --norm ${n}\`)`, '', '```',
    readFileSync(join(dir, `${n}_summary.txt`), 'utf8').trimEnd(), '```');
}
console.log(lines.join('\n'));
