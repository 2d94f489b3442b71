// Matmul GFLOP/s on the current tfjs backend, shared by the Node bench and the bench
// page (no Node or browser APIs here). Each timed call ends with an async read of
// the result, so GPU time is included; the first call (shader compilation) is not.
import * as tf from '@tensorflow/tfjs-core';

function operands(n) {
  // Fixed, cheap, non-trivial values (no RNG needed for timing).
  const a = new Float32Array(n * n);
  const b = new Float32Array(n * n);
  for (let i = 0; i < a.length; i++) {
    a[i] = Math.sin(i * 0.37);
    b[i] = Math.cos(i * 0.11);
  }
  return [tf.tensor2d(a, [n, n]), tf.tensor2d(b, [n, n])];
}

/**
 * Median GFLOP/s of an n×n·n×n matMul for each n (2n³ FLOP per call), with at least
 * `iters` timed calls and `minMs` of timing per size.
 */
export async function matmulGflops(sizes, { iters = 3, minMs = 300 } = {}) {
  const rows = [];
  for (const n of sizes) {
    const [a, b] = operands(n);
    const once = async () => {
      const c = tf.matMul(a, b);
      await c.data();
      c.dispose();
    };
    await once();
    const samples = [];
    const t0 = performance.now();
    while (samples.length < iters || performance.now() - t0 < minMs) {
      const s = performance.now();
      await once();
      samples.push(performance.now() - s);
    }
    samples.sort((x, y) => x - y);
    const ms = samples[Math.floor(samples.length / 2)];
    rows.push({ n, ms, gflops: (2 * n ** 3) / (ms * 1e6), runs: samples.length });
    tf.dispose([a, b]);
  }
  return rows;
}
