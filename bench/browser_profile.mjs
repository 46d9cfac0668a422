// The Wasm engine's per-layer, per-pass profile in real browsers (a measurement, not a test):
//   node bench/browser_profile.mjs [--browsers chromium,firefox] [--kernels wasmsimd,wasmsimd_unroll4]
//                                  [--model default|reference] [--norm bn] [--steps 12]
// For each browser and kernel set: the st build, 1 thread, on the page's main thread of a
// cross-origin-isolated page served from the repository (web/wasm/, bench/wasm_bench_core.mjs),
// `steps` timed steps and as many profiled ones; prints img/s and the same table as
// `normlab bench --profile`. Which kernel set each engine runs fastest is how
// wasm_bindings/normlab.js (engineKernels) chooses; see bench/README.md, "Firefox".
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { launch, requireWasmBuild, ROOT } from '../tests/browser/support.mjs';
import { launchFirefox } from '../tests/browser/support_firefox.mjs';

const { values: opt } = parseArgs({
  options: {
    browsers: { type: 'string', default: 'chromium,firefox' },
    kernels: { type: 'string', default: 'wasmsimd,wasmsimd_unroll4' },
    model: { type: 'string', default: 'default' },
    norm: { type: 'string', default: 'bn' },
    steps: { type: 'string', default: '12' },
  },
});
requireWasmBuild();

const PAGE = `<!doctype html><script type="module">
import { NormLab } from '/web/wasm/normlab.js';
import { benchTrainer, formatProfile } from '/bench/wasm_bench_core.mjs';
window.runProfile = async (kernels, config, steps) => {
  const nl = await NormLab.create({ variant: 'st', threads: 1, baseUrl: '/web/wasm/', kernels });
  try {
    const r = benchTrainer(nl, { config, steps, profile: true });
    return { ips: r.images_per_sec, kernels: nl.kernels, table: formatProfile(r.profile, 1) };
  } finally {
    nl.close();
  }
};
window.ready = true;
</script>`;
const TYPES = { js: 'text/javascript', mjs: 'text/javascript', wasm: 'application/wasm' };
const server = createServer((req, res) => {
  const path = new URL(req.url, 'http://x').pathname;
  let body;
  let type = 'text/html';
  if (path === '/') body = PAGE;
  else if (/^\/(web\/wasm|bench)\/[\w.-]+$/.test(path)) {
    try {
      body = readFileSync(join(ROOT, path));
      type = TYPES[path.split('.').pop()] || 'application/octet-stream';
    } catch { /* 404 below */ }
  }
  if (body === undefined) {
    res.writeHead(404);
    res.end();
    return;
  }
  res.writeHead(200, { 'content-type': type, 'cross-origin-opener-policy': 'same-origin',
    'cross-origin-embedder-policy': 'require-corp' });
  res.end(body);
}).listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const url = `http://127.0.0.1:${server.address().port}/`;
const config = { preset: opt.model, norm: opt.norm, threads: 1 };

try {
  for (const name of opt.browsers.split(',')) {
    const b = name === 'firefox' ? await launchFirefox() : await launch({ handleSignals: false });
    try {
      const page = name === 'firefox' ? await b.newPage() : await b.context.newPage();
      await page.goto(url);
      await page.waitForFunction(() => window.ready === true, null, { timeout: 60000 });
      for (const k of opt.kernels.split(',')) {
        const r = await page.evaluate(([kk, c, s]) => window.runProfile(kk, c, s), [k, config, Number(opt.steps)]);
        console.log(`== ${name}, kernels ${r.kernels}: ${r.ips.toFixed(1)} img/s (${opt.model} model, ${opt.norm}, st, 1 thread)`);
        console.log(r.table);
      }
    } finally {
      await b.close();
    }
  }
} finally {
  server.close();
}
