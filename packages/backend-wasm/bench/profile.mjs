// Where a tiny-BERT training step spends its time, per tfjs kernel. Used by
// bench/run.mjs (kernel-by-kernel before/after) and on its own:
//   node bench/profile.mjs [stock|gemm|kd] [threads] [batch]
// stock: tfjs-wasm as shipped; gemm: kd's matMul kernels only; kd: all of kd's.
// Every registered wasm kernel is wrapped with a timer (kernels are synchronous, and
// tfjs kernels call each other directly, not through the registry, so nothing is
// counted twice). DETAIL=<kernel> splits that kernel's rows by shapes and attributes.
// CLOCK=cpu times with the process' CPU time instead of the wall clock: on a shared
// machine it leaves out the time the process waited for a core (with 1 thread only:
// the CPU time of worker threads counts too).
import { initBackend, Registry } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { plugin, pluginWith } from '../dist/index.js';
import { createParams, makeBatch, TINY_BERT, trainStep } from './tiny-bert.mjs';

const GEMM_ONLY = ['BatchMatMul', '_FusedMatMul'];

const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const wallMs = () => performance.now();

/**
 * Per-kernel milliseconds and calls of one training step (mean of `steps` timed
 * steps), by the wall clock or (clock 'cpu') by the process' CPU time.
 */
export async function profileStep(mode, threads, cfg = TINY_BERT, steps = 2, clock = 'wall') {
  const now = clock === 'cpu' ? cpuMs : wallMs;
  const registry = Registry.isolated();
  if (mode === 'kd') registry.register(plugin);
  if (mode === 'gemm') registry.register(pluginWith({ only: GEMM_ONLY }));
  await initBackend({ backend: 'wasm', threads, registry });
  const originals = tf.getKernelsForBackend('wasm');
  const totals = new Map();
  for (const k of originals) {
    const inner = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, 'wasm');
    tf.registerKernel({
      ...k,
      kernelFunc: (args) => {
        const t0 = now();
        const out = inner(args);
        const key =
          process.env.DETAIL === k.kernelName
            ? `${k.kernelName} ${Object.values(args.inputs)
                .map((t) => `${t.dtype === 'float32' ? '' : t.dtype}[${t.shape}]`)
                .join(' ')} ${JSON.stringify(args.attrs ?? {})}`
            : k.kernelName;
        const t = totals.get(key) ?? { ms: 0, calls: 0 };
        t.ms += now() - t0;
        t.calls++;
        totals.set(key, t);
        return out;
      },
    });
  }
  const params = createParams(cfg, 0);
  const batch = makeBatch(cfg, 1);
  const optimizer = tf.train.adam(1e-4);
  trainStep(params, optimizer, batch, cfg);
  totals.clear();
  const t0 = now();
  for (let i = 0; i < steps; i++) trainStep(params, optimizer, batch, cfg);
  const wall = (now() - t0) / steps;
  for (const t of totals.values()) {
    t.ms /= steps;
    t.calls /= steps;
  }
  // Unwrap, so the next initBackend restores real kernels.
  for (const k of originals) {
    tf.unregisterKernel(k.kernelName, 'wasm');
    tf.registerKernel(k);
  }
  optimizer.dispose();
  tf.dispose([...Object.values(params), batch.ids, batch.labels]);
  return { wall, kernels: totals };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [mode = 'kd', threadsArg = '1', batchArg] = process.argv.slice(2);
  const cfg = { ...TINY_BERT, batch: Number(batchArg ?? TINY_BERT.batch) };
  const { wall, kernels } = await profileStep(
    mode,
    Number(threadsArg),
    cfg,
    Number(process.env.STEPS ?? 2),
  );
  const rows = [...kernels].map(([name, t]) => ({ name, ...t })).sort((a, b) => b.ms - a.ms);
  const inKernels = rows.reduce((s, r) => s + r.ms, 0);
  console.log(
    `${mode} threads=${threadsArg} batch=${cfg.batch}: ${wall.toFixed(1)} ms/step, ${inKernels.toFixed(1)} ms in kernels`,
  );
  const w = process.env.DETAIL ? 90 : 22;
  for (const r of rows.slice(0, 30)) {
    console.log(
      `${r.name.padEnd(w)} ${r.ms.toFixed(2).padStart(9)} ms ${((100 * r.ms) / wall).toFixed(1).padStart(5)}% ${String(r.calls).padStart(5)} calls`,
    );
  }
  process.exit(0);
}
