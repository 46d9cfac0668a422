// The Wasm training benchmark itself, shared by bench/wasm_bench.mjs (Node) and
// bench/page_bench.mjs (the same code in a browser's Web Worker). No imports: it is given a
// NormLab instance (wasm_bindings/normlab.js) and runs anywhere.

/** Forward multiply-adds per image: every conv layer's output pixels x k x k x in x out. */
export function forwardMacs(report) {
  let macs = 0;
  for (const l of report.layers) {
    if (l.op.startsWith('conv')) macs += l.out.h * l.out.w * l.rf.k * l.rf.k * l.in.c * l.out.c;
  }
  return macs;
}

/** n random CIFAR records (label byte + 3072 pixel bytes). */
export function randomRecords(n, seed) {
  const b = new Uint8Array(n * 3073);
  let x = seed >>> 0;
  for (let i = 0; i < b.length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = x >>> 24;
  }
  for (let i = 0; i < n; i++) b[i * 3073] %= 10;
  return b;
}

/**
 * Trains on random data in memory: 1 warm-up step, then `steps` timed steps (all in the
 * first epoch), then with `profile` as many steps again with the core's timers on.
 * @param {any} nl a NormLab instance (its data set is replaced)
 * @param {{config: object, steps: number, profile?: boolean}} o config: the trainer's
 *   configuration (model and settings: batch, threads, ...; epochs is set here)
 * @returns {{images_per_sec: number, seconds: number, gflops: number, forward_macs: number,
 *   params: number, batch: number, threads: number, profile?: {table: any, steps: number, seconds: number}}}
 */
export function benchTrainer(nl, o) {
  const steps = o.steps;
  const batch = o.config.batch || 128;
  const runs = o.profile ? 2 : 1;
  const perBatch = Math.ceil((batch * (runs * steps + 1)) / 5);
  const files = [0, 1, 2, 3, 4].map((i) => randomRecords(perBatch, i + 1));
  files.push(randomRecords(1, 99));
  nl.loadDatasetBatches(files);
  const trainer = nl.createTrainer({ ...o.config, batch, epochs: 1 });
  try {
    const trainN = (n) => {
      let done = 0;
      while (done < n) {
        const r = trainer.trainSteps(n - done).stepsRun;
        if (!r) throw new Error('the epoch ended before the benchmark did');
        done += r;
      }
    };
    trainN(1);
    const t0 = performance.now();
    trainN(steps);
    const seconds = (performance.now() - t0) / 1000;
    const report = trainer.report();
    const macs = forwardMacs(report);
    const ips = (batch * steps) / seconds;
    const threads = trainer.config().threads;
    const out = {
      images_per_sec: Number(ips.toFixed(1)), seconds, gflops: Number(((ips * 3 * macs * 2) / 1e9).toFixed(2)),
      forward_macs: macs, params: report.total, batch, threads,
    };
    if (o.profile) {
      nl.profileStart();
      const p0 = performance.now();
      try {
        trainN(steps);
      } finally {
        nl.profileStop();
      }
      out.profile = { table: nl.profile(), steps, seconds: (performance.now() - p0) / 1000 };
    }
    return out;
  } finally {
    trainer.free();
  }
}

/**
 * The profile as the same text table `normlab bench --profile` prints: ms per step, per layer
 * and pass, summed over threads; what is left of threads x wall is waiting.
 * @param {{table: {layers: string[], passes: string[], seconds: number[][]}, steps: number, seconds: number}} prof
 */
export function formatProfile(prof, threads) {
  const { table, steps, seconds: wall } = prof;
  const f = (x) => x.toFixed(2).padStart(9);
  const lines = [`profile: ms per step, summed over ${threads} thread${threads > 1 ? 's' : ''} (${steps} steps, ${(1e3 * wall / steps).toFixed(1)} ms wall per step)`];
  lines.push('layer '.padEnd(6) + table.passes.map((p) => ` ${p.padStart(9)}`).join('') + ` ${'total'.padStart(9)}`);
  const col = table.passes.map(() => 0);
  let all = 0;
  table.layers.forEach((name, l) => {
    let row = 0;
    let line = name.padEnd(6);
    table.passes.forEach((_, p) => {
      const ms = (1e3 * table.seconds[l][p]) / steps;
      row += ms;
      col[p] += ms;
      line += ms > 0 ? ` ${f(ms)}` : ` ${''.padStart(9)}`;
    });
    all += row;
    lines.push(`${line} ${f(row)}`);
  });
  lines.push('total '.padEnd(6) + col.map((c) => ` ${f(c)}`).join('') + ` ${f(all)}`);
  lines.push('share '.padEnd(6) + col.map((c) => ` ${(all > 0 ? (100 * c) / all : 0).toFixed(1).padStart(8)}%`).join(''));
  const capacity = ((1e3 * wall) / steps) * threads;
  lines.push(`threads x wall ${capacity.toFixed(2)} ms per step: work ${all.toFixed(2)} (${((100 * all) / capacity).toFixed(1)}%), `
    + `waiting/untimed ${(capacity - all).toFixed(2)} (${((100 * (capacity - all)) / capacity).toFixed(1)}%)`);
  return lines.join('\n');
}
