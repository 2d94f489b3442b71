// pnpm bench: the tiny BERT of bench/tiny-bert.mjs (vocab 8000, hidden 256, 4 layers,
// 4 heads, FFN 1024, batch 32 × 64 tokens) on stock tfjs-wasm, stock tfjs-cpu and
// kd's kernels with 1 and 2 threads, in one process:
//   1. GFLOP/s of every matMul a training step runs (forward, dX, dW; attention),
//      stock tfjs-wasm vs kd;
//   2. one Adam training step and one inference pass per configuration;
//   3. kernel by kernel, one step with kd's matMuls only vs all of kd's kernels;
//   4. PyTorch on the same model (bench/tiny_bert_torch.py) when /usr/bin/python3 has
//      torch (Debian: apt-get install python3-torch); KD_BENCH_TORCH=0 skips it.
// Env: KD_BENCH_STEPS (timed training steps for kd, default 5), KD_BENCH_SLOW_STEPS
// (for the stock backends, default 1, after one warm-up step), KD_BENCH_SKIP=cpu,wasm
// (skip baselines), KD_BENCH_ONLY=matmul,train,kernels (sections to run; default all).
// Prints tables on stderr, JSON on stdout and in bench-results/.
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { initBackend, Registry } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { report, time } from '../../../scripts/bench.mjs';
import { plugin, pluginWith } from '../dist/index.js';
import { profileStep } from './profile.mjs';
import { tinyBertMatMuls } from './shapes.mjs';
import {
  createParams,
  forward,
  forwardFlops,
  makeBatch,
  TINY_BERT,
  trainStep,
} from './tiny-bert.mjs';

const cfg = TINY_BERT;
const skip = new Set((process.env.KD_BENCH_SKIP ?? '').split(',').filter(Boolean));
const only = new Set((process.env.KD_BENCH_ONLY ?? 'matmul,train,kernels').split(','));
const kdSteps = Number(process.env.KD_BENCH_STEPS ?? 5);
const slowSteps = Number(process.env.KD_BENCH_SLOW_STEPS ?? 1);
const load = { start: loadavg().map((x) => +x.toFixed(2)) };

const CONFIGS = [
  { name: 'tfjs-wasm', backend: 'wasm', kd: false, threads: 1 },
  { name: 'tfjs-cpu', backend: 'cpu', kd: false, threads: 1 },
  { name: 'kd 1 thread', backend: 'wasm', kd: true, threads: 1 },
  { name: 'kd 2 threads', backend: 'wasm', kd: true, threads: 2 },
  // Matmuls only: one thread copying operands in and out instead of working in
  // tfjs' heap, to show what the threaded path's copies cost.
  {
    name: 'kd 1 thread, copies',
    backend: 'wasm',
    kd: true,
    threads: 1,
    options: { zeroCopy: false },
    matmulOnly: true,
  },
].filter((c) => !skip.has(c.backend) || c.kd);

async function use(c) {
  const registry = Registry.isolated();
  if (c.kd) registry.register(c.options ? pluginWith(c.options) : plugin);
  return initBackend({ backend: c.backend, threads: c.threads, registry });
}

// 1. matMuls: every shape and transpose variant of the step, plus the fused forward.
const shapes = tinyBertMatMuls(cfg);
const gflops = new Map();
let simd = false;
for (const c of only.has('matmul') ? CONFIGS.filter((x) => x.backend === 'wasm') : []) {
  const info = await use(c);
  simd = simd || info.simd;
  for (const [label, ba, bb, m, n, k, ta, tb] of shapes) {
    const a = tf.randomNormal([...ba, ...(ta ? [k, m] : [m, k])], 0, 1, 'float32', 1);
    const b = tf.randomNormal([...bb, ...(tb ? [n, k] : [k, n])], 0, 1, 'float32', 2);
    const bias = tf.randomNormal([n], 0, 1, 'float32', 3);
    const flop = 2 * ba.reduce((x, y) => x * y, 1) * m * n * k;
    const slow = !c.kd;
    const opts = { warmup: 1, iters: slow ? 2 : 8, minSeconds: slow ? 0 : 0.5 };
    // tfjs-wasm kernels are synchronous: the product is done when matMul returns.
    // Best of the runs: on a shared machine the fastest run is the least disturbed one.
    // Single-threaded runs also by CPU time, which leaves out waiting for a core.
    let cpu = Infinity;
    const t = await time(() => {
      const c0 = process.cpuUsage();
      tf.matMul(a, b, ta, tb).dispose();
      const d = process.cpuUsage(c0);
      cpu = Math.min(cpu, (d.user + d.system) / 1000);
    }, opts);
    gflops.set(`${label}|${c.name}`, flop / t.minMs / 1e6);
    if (c.threads === 1) gflops.set(`${label}|${c.name}|cpu`, flop / cpu / 1e6);
    if (label.endsWith('fwd') && ba.length === 0) {
      const f = await time(() => tf.fused.matMul({ a, b, bias }).dispose(), opts);
      gflops.set(`${label} +bias (fused)|${c.name}`, flop / f.minMs / 1e6);
    }
    tf.dispose([a, b, bias]);
  }
}
const matmulRows = [];
for (const [label, ba, , m, n, k, ta, tb] of only.has('matmul') ? shapes : []) {
  for (const l of label.endsWith('fwd') && ba.length === 0
    ? [label, `${label} +bias (fused)`]
    : [label]) {
    const g = (name) => gflops.get(`${l}|${name}`);
    const row = {
      matmul: l,
      batch: ba.reduce((x, y) => x * y, 1),
      m,
      n,
      k,
      tA: ta ? 'T' : '',
      tB: tb ? 'T' : '',
      'tfjs-wasm GFLOP/s': g('tfjs-wasm'),
      'kd-1 GFLOP/s': g('kd 1 thread'),
      'kd-2 GFLOP/s': g('kd 2 threads'),
      'tfjs-wasm GFLOP/CPU-s': g('tfjs-wasm|cpu'),
      'kd-1 GFLOP/CPU-s': g('kd 1 thread|cpu'),
    };
    row['kd-1 / tfjs-wasm'] = row['kd-1 GFLOP/s'] / row['tfjs-wasm GFLOP/s'];
    row['kd-2 / kd-1'] = row['kd-2 GFLOP/s'] / row['kd-1 GFLOP/s'];
    row['copy cost %'] = 100 * (1 - g('kd 1 thread, copies') / row['kd-1 GFLOP/s']);
    matmulRows.push(row);
  }
}
if (matmulRows.length)
  report('backend-wasm-matmul', matmulRows, { load: { ...load, end: loadavg() }, simd });

// 2. Training step (Adam) and inference, per configuration.
const trainFlops = 3 * forwardFlops(cfg);
const modelRows = [];
for (const c of only.has('train') ? CONFIGS.filter((x) => !x.matmulOnly) : []) {
  const info = await use(c);
  const params = createParams(cfg, 0);
  const batch = makeBatch(cfg, 1);
  const optimizer = tf.train.adam(1e-4);
  const steps = c.kd ? kdSteps : slowSteps;
  // CPU time too: on a shared machine it leaves out waiting for a core (for more than
  // one thread it sums the threads, so it is no wall-clock figure there).
  let cpu = Infinity;
  const train = await time(
    () => {
      const c0 = process.cpuUsage();
      trainStep(params, optimizer, batch, cfg);
      const d = process.cpuUsage(c0);
      cpu = Math.min(cpu, (d.user + d.system) / 1000);
    },
    { warmup: 1, iters: steps },
  );
  const infer = await time(() => tf.tidy(() => forward(params, batch.ids, cfg)).dataSync(), {
    warmup: 1,
    iters: c.kd ? 10 : 3,
  });
  modelRows.push({
    config: c.name,
    threads: c.backend === 'cpu' ? 1 : info.threads,
    'train step ms': train.medianMs,
    'best step ms': train.minMs,
    'step CPU ms': cpu,
    'inference ms': infer.medianMs,
    'train GFLOP/s': trainFlops / train.medianMs / 1e6,
  });
  optimizer.dispose();
  tf.dispose([...Object.values(params), batch.ids, batch.labels]);
}

// 3. Kernel by kernel: one training step with only kd's matMuls (the rest stock) vs all
//    of kd's kernels, 1 thread: what each memory-bound kernel saves once the GEMM is fast.
// By CPU time: one thread, and a shared machine's waits for a core left out.
if (only.has('kernels')) {
  const before = await profileStep('gemm', 1, cfg, kdSteps, 'cpu');
  const after = await profileStep('kd', 1, cfg, kdSteps, 'cpu');
  const kernelRows = [...new Set([...before.kernels.keys(), ...after.kernels.keys()])]
    .map((name) => ({
      kernel: name,
      calls: (after.kernels.get(name) ?? before.kernels.get(name)).calls,
      'stock CPU ms/step': before.kernels.get(name)?.ms ?? 0,
      'kd CPU ms/step': after.kernels.get(name)?.ms ?? 0,
    }))
    .filter((r) => r['stock CPU ms/step'] >= 0.5 || r['kd CPU ms/step'] >= 0.5)
    .sort((a, b) => b['stock CPU ms/step'] - a['stock CPU ms/step']);
  for (const r of kernelRows) r['stock / kd'] = r['stock CPU ms/step'] / r['kd CPU ms/step'];
  kernelRows.push({
    kernel: '(whole step)',
    calls: 1,
    'stock CPU ms/step': before.wall,
    'kd CPU ms/step': after.wall,
    'stock / kd': before.wall / after.wall,
  });
  report('backend-wasm-kernels', kernelRows, {
    note: 'one tiny-BERT Adam step, 1 thread; "stock" = kd GEMMs + stock tfjs-wasm for everything else',
    load: loadavg(),
  });
}

// 4. PyTorch, same model and sizes, if available.
let torch;
if (only.has('train') && process.env.KD_BENCH_TORCH !== '0') {
  const script = fileURLToPath(new URL('./tiny_bert_torch.py', import.meta.url));
  for (const threads of [1, 2]) {
    try {
      const out = execFileSync('/usr/bin/python3', [script, '--threads', String(threads)], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 600_000,
      });
      const r = JSON.parse(out.trim().split('\n').pop());
      torch ??= { version: r.torch };
      modelRows.push({
        config: `PyTorch ${r.torch}${r.blas.includes('openblas') ? ' (OpenBLAS)' : ' (reference BLAS)'}`,
        threads,
        'train step ms': r.train_ms,
        'best step ms': r.best_ms,
        'step CPU ms': r.cpu_ms,
        'inference ms': r.inference_ms,
        'train GFLOP/s': trainFlops / r.train_ms / 1e6,
      });
    } catch {
      break;
    }
  }
}
const base = modelRows.find((r) => r.config === 'tfjs-wasm');
const torch1 = modelRows.find((r) => r.config.startsWith('PyTorch') && r.threads === 1);
for (const r of modelRows) {
  if (base) r['train vs tfjs-wasm'] = base['train step ms'] / r['train step ms'];
  if (base) r['infer vs tfjs-wasm'] = base['inference ms'] / r['inference ms'];
  if (torch1) r['train time / PyTorch-1'] = r['train step ms'] / torch1['train step ms'];
  if (torch1) r['CPU time / PyTorch-1'] = r['step CPU ms'] / torch1['step CPU ms'];
  if (base) r['CPU: tfjs-wasm / this'] = base['step CPU ms'] / r['step CPU ms'];
}
if (modelRows.length)
  report('backend-wasm-tiny-bert', modelRows, {
    model: cfg,
    trainGflopPerStep: trainFlops / 1e9,
    load: { ...load, end: loadavg() },
    simd,
    ...(torch ? { torch } : {}),
  });
process.exit(0);
