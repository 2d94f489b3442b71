// pnpm bench for @kd/backend-webgpu (needs `pnpm build` first):
//   1. matmul GFLOP/s (n×n·n×n) on tfjs-wasm and on WebGPU through Dawn in Node, and
//      on wasm and WebGPU (SwiftShader) in headless Chromium;
//   2. the parity suite on each of those backends against cpu: worst error per
//      tolerance class and the suite's wall time.
// SwiftShader and Mesa's llvmpipe emulate a GPU on the CPU: their numbers show the
// plumbing works, not what a GPU does. Env: KD_BENCH_SIZES (default 128,256,512),
// KD_BENCH_SKIP=dawn,chromium. Tables on stderr, JSON on stdout and in bench-results/.
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@kd/core';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { report } from '../../../scripts/bench.mjs';
import { launchChromium, startStaticServer } from '../../../tests/browser/index.mjs';
import { disposeWebGPU, setupWebGPU } from '../dist/index.js';
import { compareParity, parityCases, runParity, worstByClass } from '../dist/parity/index.js';
import { matmulGflops } from './matmul-core.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const sizes = (process.env.KD_BENCH_SIZES ?? '128,256,512').split(',').map(Number);
const skip = new Set((process.env.KD_BENCH_SKIP ?? '').split(',').filter(Boolean));
const load = { start: loadavg().map((x) => +x.toFixed(2)) };
const cases = parityCases();
const matmulRows = [];
const parityRows = [];

await initBackend({ backend: 'cpu' });
const reference = (await runParity(cases)).results;

function addParity(where, backend, run, adapter) {
  const rows = compareParity(cases, reference, run.results);
  const worst = worstByClass(rows);
  parityRows.push({
    where,
    backend,
    adapter,
    failures: rows.filter((r) => !r.pass).length,
    outputs: rows.length,
    seconds: +(run.ms / 1000).toFixed(1),
    ...Object.fromEntries(Object.entries(worst).map(([k, v]) => [k, +v.error.toPrecision(2)])),
  });
}

function adapterName(info) {
  const a = info.adapter;
  return [a.vendor, a.architecture, a.device].filter(Boolean).join(' ') || a.description;
}

// ── Node: tfjs-wasm, then Dawn ──
await initBackend({ backend: 'wasm' });
for (const r of await matmulGflops(sizes))
  matmulRows.push({ where: 'node', backend: 'wasm (tfjs, 1 thread)', ...r });
addParity('node', 'wasm', await runParity(cases), '');

if (!skip.has('dawn')) {
  try {
    const info = await setupWebGPU({ cpuForward: false });
    await initBackend({ backend: 'webgpu' });
    const adapter = `${adapterName(info)} (Dawn ${info.dawnBackend})`;
    for (const r of await matmulGflops(sizes))
      matmulRows.push({ where: 'node', backend: `webgpu: ${adapter}`, ...r });
    addParity('node', 'webgpu', await runParity(cases), adapter);
    await disposeWebGPU();
  } catch (error) {
    process.stderr.write(`Dawn: ${error.message}\n`);
  }
}

// ── Chromium ──
if (!skip.has('chromium')) {
  const external = {
    name: 'external-webgl',
    setup(b) {
      b.onResolve({ filter: /^@tensorflow\/tfjs-backend-webgl$/ }, (a) => ({
        path: a.path,
        external: true,
      }));
      b.onResolve({ filter: /^@tensorflow\/tfjs-backend-webgpu$/ }, () => ({
        path: require.resolve('@tensorflow/tfjs-backend-webgpu/dist/index.js'),
      }));
    },
  };
  const bundle = await build({
    entryPoints: [join(here, 'page.mjs')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    logLevel: 'error',
    plugins: [external],
  });
  const server = await startStaticServer({
    files: {
      '/index.html':
        '<!doctype html><title>loading</title><script type="module" src="/bench.js"></script>',
      '/bench.js': bundle.outputFiles[0].text,
      '/favicon.ico': '',
    },
    dirs: {
      '/tfjs-wasm/': dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/index.js')),
    },
  });
  const browser = await launchChromium(chromium, { webgpu: true });
  try {
    await browser.page.goto(server.url('/'));
    await browser.page.waitForFunction(() => document.title === 'ready');
    for (const backend of ['wasm', 'webgpu']) {
      const m = await browser.page.evaluate(
        ([b, s]) => globalThis.kdBench.matmul(b, s),
        [backend, sizes],
      );
      const label =
        backend === 'webgpu' ? `webgpu: ${adapterName(m.info)}` : 'wasm (tfjs, 1 thread)';
      for (const r of m.rows) matmulRows.push({ where: 'chromium', backend: label, ...r });
      const p = await browser.page.evaluate((b) => globalThis.kdBench.parity(b), backend);
      addParity('chromium', backend, p.run, backend === 'webgpu' ? adapterName(p.info) : '');
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

load.end = loadavg().map((x) => +x.toFixed(2));
report('webgpu-matmul', matmulRows, {
  load,
  note: 'software adapters (SwiftShader, llvmpipe) emulate a GPU on the CPU',
});
report('webgpu-parity', parityRows, { load });
