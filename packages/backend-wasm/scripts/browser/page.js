// Runs in the browser (bundled by scripts/browser-check.mjs): kd's kernels on the
// wasm backend with 2 threads, checked against tfjs-cpu.
import { initBackend, Registry } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { plugin } from '../../dist/index.js';

function maxRelDiff(a, b) {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
  }
  return worst / scale;
}

window.kdCheck = async () => {
  await initBackend({ backend: 'cpu' });
  const registry = Registry.isolated();
  registry.register(plugin);
  const info = await initBackend({ backend: 'wasm', threads: 2, registry, wasmPaths: '/wasm/' });
  const a = tf.randomNormal([300, 200], 0, 1, 'float32', 1);
  const b = tf.randomNormal([200, 250], 0, 1, 'float32', 2);
  // A product, a transposed one, and both gradients of a loss (transposed products too).
  const run = () =>
    tf.tidy(() => {
      const grads = tf.grads((x, y) => tf.matMul(x, y).square().sum())([a, b]);
      return [
        tf.matMul(a, b).dataSync(),
        tf.matMul(b, b, true, false).dataSync(),
        ...grads.map((g) => g.dataSync()),
      ];
    });
  const ours = run();
  await tf.setBackend('cpu');
  const ref = run();
  await tf.setBackend('wasm');
  const big = tf.randomNormal([512, 512], 0, 1, 'float32', 3);
  for (let i = 0; i < 10; i++) tf.matMul(big, big).dispose();
  const t0 = performance.now();
  for (let i = 0; i < 20; i++) tf.matMul(big, big).dispose();
  const ms = (performance.now() - t0) / 20;
  return {
    crossOriginIsolated: globalThis.crossOriginIsolated,
    provider: info.providers['wasm-simd'],
    maxRelDiff: Math.max(...ours.map((o, i) => maxRelDiff(o, ref[i]))),
    'matMul 512² GFLOP/s': (2 * 512 ** 3) / ms / 1e6,
  };
};
