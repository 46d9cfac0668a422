// Wasm training throughput on random data in memory (a measurement, not a test):
//   node bench/wasm_bench.mjs [--variant st|mt] [--threads N] [--batch 128] [--steps 10]
//                             [--norm bn|gn|ln] [--model reference|default]
// Prints one JSON line. gflops counts a training step as 3x the forward pass
// (forward + two backward GEMMs), 2 FLOPs per multiply-add, MACs taken from the report.
import { parseArgs } from 'node:util';

import { NormLab } from '../wasm_bindings/normlab.js';

const { values: opt } = parseArgs({
  options: {
    variant: { type: 'string', default: 'st' },
    threads: { type: 'string', default: '1' },
    batch: { type: 'string', default: '128' },
    steps: { type: 'string', default: '10' },
    norm: { type: 'string', default: 'bn' },
    model: { type: 'string', default: 'reference' },
  },
});
const threads = Number(opt.threads);
const batch = Number(opt.batch);
const steps = Number(opt.steps);

/** Forward multiply-adds per image: every conv layer's output pixels x k x k x in x out. */
function forwardMacs(report) {
  let macs = 0;
  for (const l of report.layers) {
    if (l.op.startsWith('conv')) macs += l.out.h * l.out.w * l.rf.k * l.rf.k * l.in.c * l.out.c;
  }
  return macs;
}

/** n random CIFAR records (label byte + 3072 pixel bytes). */
function randomRecords(n, seed) {
  const b = new Uint8Array(n * 3073);
  let x = seed >>> 0;
  for (let i = 0; i < b.length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = x >>> 24;
  }
  for (let i = 0; i < n; i++) b[i * 3073] %= 10;
  return b;
}

const nl = await NormLab.create({ variant: opt.variant, threads });
try {
  // one warm-up step + the timed ones, all in the first epoch
  const perBatch = Math.ceil((batch * (steps + 1)) / 5);
  const files = [0, 1, 2, 3, 4].map((i) => randomRecords(perBatch, i + 1));
  files.push(randomRecords(1, 99));
  nl.loadDatasetBatches(files);
  const model = { preset: opt.model, norm: opt.norm };
  const trainer = nl.createTrainer(model, { batch, epochs: 1, threads });
  trainer.trainSteps(1);
  const t0 = performance.now();
  let done = 0;
  while (done < steps) done += trainer.trainSteps(steps - done).stepsRun;
  const seconds = (performance.now() - t0) / 1000;
  const report = trainer.report();
  const macs = forwardMacs(report);
  const ips = (batch * steps) / seconds;
  console.log(JSON.stringify({
    tool: 'normlab-wasm', variant: nl.variant, threads, norm: opt.norm, model: opt.model, batch, steps,
    images_per_sec: Number(ips.toFixed(1)), gflops: Number(((ips * 3 * macs * 2) / 1e9).toFixed(2)),
    forward_macs: macs, params: report.total,
  }));
} finally {
  nl.close();
}
