// Where a tiny-BERT training step spends its time, per tfjs kernel:
//   node bench/profile.mjs [stock|kd] [threads] [batch]
// Wraps every registered wasm kernel with a timer (kernels are synchronous, and
// tfjs kernels call each other directly, not through the registry, so nothing is
// counted twice) and prints the kernels sorted by total time.
import { initBackend, Registry } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { plugin } from '../dist/index.js';
import { createParams, makeBatch, TINY_BERT, trainStep } from './tiny-bert.mjs';

const [mode = 'kd', threadsArg = '1', batchArg] = process.argv.slice(2);
const cfg = { ...TINY_BERT, batch: Number(batchArg ?? TINY_BERT.batch) };
const registry = Registry.isolated();
if (mode === 'kd') registry.register(plugin);
await initBackend({ backend: 'wasm', threads: Number(threadsArg), registry });

const totals = new Map();
for (const k of tf.getKernelsForBackend('wasm')) {
  const inner = k.kernelFunc;
  tf.unregisterKernel(k.kernelName, 'wasm');
  tf.registerKernel({
    ...k,
    kernelFunc: (args) => {
      const t0 = performance.now();
      const out = inner(args);
      const key =
        process.env.DETAIL === k.kernelName
          ? `${k.kernelName} ${Object.values(args.inputs)
              .map((t) => `${t.dtype === 'float32' ? '' : t.dtype}[${t.shape}]`)
              .join(' ')} ${JSON.stringify(args.attrs ?? {})}`
          : k.kernelName;
      const t = totals.get(key) ?? { ms: 0, calls: 0 };
      t.ms += performance.now() - t0;
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
const t0 = performance.now();
const steps = Number(process.env.STEPS ?? 2);
for (let i = 0; i < steps; i++) trainStep(params, optimizer, batch, cfg);
const wall = (performance.now() - t0) / steps;
const rows = [...totals].map(([name, t]) => ({ name, ms: t.ms / steps, calls: t.calls / steps }));
rows.sort((a, b) => b.ms - a.ms);
const inKernels = rows.reduce((s, r) => s + r.ms, 0);
console.log(
  `${mode} threads=${threadsArg} batch=${cfg.batch}: ${wall.toFixed(1)} ms/step, ${inKernels.toFixed(1)} ms in kernels`,
);
for (const r of rows.slice(0, 30)) {
  console.log(
    `${r.name.padEnd(process.env.DETAIL ? 90 : 22)} ${r.ms.toFixed(2).padStart(9)} ms ${((100 * r.ms) / wall).toFixed(1).padStart(5)}% ${String(r.calls).padStart(5)} calls`,
  );
}
process.exit(0);
