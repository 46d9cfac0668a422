// Wasm training throughput on random data in memory (a measurement, not a test):
//   node bench/wasm_bench.mjs [--variant st|mt] [--threads N] [--batch 128] [--steps 10]
//                             [--norm bn|gn|ln] [--model reference|default] [--profile]
//                             [--kernels auto|wasmsimd|wasmsimd_unroll4]
// Prints one JSON line. gflops counts a training step as 3x the forward pass
// (forward + two backward GEMMs), 2 FLOPs per multiply-add, MACs taken from the report.
// --profile: then as many steps again with the core's per-layer, per-pass timers on,
// printed before the JSON line as the same table as `normlab bench --profile`.
import { parseArgs } from 'node:util';

import { NormLab } from '../wasm_bindings/normlab.js';
import { benchTrainer, formatProfile } from './wasm_bench_core.mjs';

const { values: opt } = parseArgs({
  options: {
    variant: { type: 'string', default: 'st' },
    threads: { type: 'string', default: '1' },
    batch: { type: 'string', default: '128' },
    steps: { type: 'string', default: '10' },
    norm: { type: 'string', default: 'bn' },
    model: { type: 'string', default: 'reference' },
    profile: { type: 'boolean', default: false },
    kernels: { type: 'string', default: 'auto' }, // auto: the engine's set (wasmsimd in Node)
  },
});
const threads = Number(opt.threads);

const nl = await NormLab.create({ variant: opt.variant, threads, kernels: opt.kernels });
try {
  const r = benchTrainer(nl, {
    config: { preset: opt.model, norm: opt.norm, batch: Number(opt.batch), threads },
    steps: Number(opt.steps),
    profile: opt.profile,
  });
  if (r.profile) console.log(formatProfile(r.profile, r.threads));
  console.log(JSON.stringify({
    tool: 'normlab-wasm', variant: nl.variant, kernels: nl.kernels, threads: r.threads, norm: opt.norm, model: opt.model, batch: r.batch,
    steps: Number(opt.steps), images_per_sec: r.images_per_sec, gflops: r.gflops, forward_macs: r.forward_macs,
    params: r.params,
  }));
} finally {
  nl.close();
}
