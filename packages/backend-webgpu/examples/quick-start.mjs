// WebGPU for kd in Node (Dawn, the `webgpu` package) or a browser (navigator.gpu):
// set it up, see what you got, train on it. Without a usable adapter, say why and
// use wasm.

import { setupWebGPU } from '@kd/backend-webgpu';
import { BackendError, initBackend } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';

let backend = 'webgpu';
try {
  const info = await setupWebGPU();
  const name = info.adapter.description || info.adapter.device || info.adapter.architecture;
  console.log(`${name}: ${info.featureLevel}${info.software ? ', emulated on the CPU' : ''}`);
} catch (error) {
  if (!(error instanceof BackendError)) throw error;
  console.log(`no WebGPU here, using wasm: ${error.message}`);
  backend = 'wasm';
}
export const started = await initBackend({ backend });

// Least squares by gradient descent: find w with x·w = y.
const x = tf.tensor2d([
  [1, 2, 3],
  [4, 5, 6],
]);
const y = tf.tensor2d([[14], [32]]);
const w = tf.variable(tf.zeros([3, 1]));
const sgd = tf.train.sgd(0.02);
for (let step = 0; step < 500; step++) {
  sgd.minimize(() => tf.losses.meanSquaredError(y, tf.matMul(x, w)));
}
// WebGPU in Node has no synchronous reads (dataSync): read with data() or array().
const fitted = tf.matMul(x, w);
export const predictions = (await fitted.array()).flat();
console.log(started.backend, predictions); // webgpu [ 13.99…, 32.00… ]
tf.dispose([x, y, w, fitted]);
