// kd's WASM-SIMD kernels on a worker pool: register the plugin, start the wasm
// backend with threads, and everything after is plain tfjs.
import { plugin } from '@kd/backend-wasm';
import { disposeBackend, initBackend, registry } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';

registry.register(plugin);
// Node 20 has no navigator.hardwareConcurrency: pass `threads` explicitly.
const info = await initBackend({ backend: 'wasm', threads: 2 });
const provider = info.providers['wasm-simd'];
console.log(info.backend, info.simd, provider.threads, info.kernels.includes('BatchMatMul'));

// A backward pass is made of transposed products: the ones stock tfjs-wasm runs slowly.
const a = tf.randomUniform([256, 512], -1, 1, 'float32', 1);
const b = tf.randomUniform([256, 512], -1, 1, 'float32', 2);
const product = tf.matMul(a, b, false, true); // a · bᵀ, 67 MFLOP: threaded
const wasmResult = (await product.data()) as Float32Array;

// The same product on tfjs' cpu backend agrees within float32 rounding.
await initBackend({ backend: 'cpu' }); // also stops the wasm workers
const a2 = tf.randomUniform([256, 512], -1, 1, 'float32', 1);
const b2 = tf.randomUniform([256, 512], -1, 1, 'float32', 2);
const reference = tf.matMul(a2, b2, false, true);
const cpuResult = (await reference.data()) as Float32Array;
export const maxAbsDiff = wasmResult.reduce(
  (m: number, v: number, i: number) => Math.max(m, Math.abs(v - cpuResult[i])),
  0,
);
console.log(`max |wasm − cpu| = ${maxAbsDiff.toExponential(1)}`);

tf.dispose([a2, b2, reference]);
await initBackend({ backend: 'wasm', threads: 1 });
tf.dispose([a, b, product]);
await disposeBackend();
