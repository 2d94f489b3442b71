// A drop-in for tf.train optimisers with a plain tfjs model: minimize(),
// applyGradients() keyed by variable name, and an EMA of the weights to
// evaluate with.
import { initBackend } from '@kd/core';
import { createOptimizer } from '@kd/optim';
import * as tf from '@tensorflow/tfjs-core';

await initBackend({ backend: 'cpu' });

// A two-layer network as plain variables (what tfjs-layers keeps inside a model).
const w1 = tf.variable(tf.randomNormal([2, 8], 0, 0.5, 'float32', 1), true, 'dense1/kernel');
const w2 = tf.variable(tf.randomNormal([8, 1], 0, 0.5, 'float32', 2), true, 'dense2/kernel');
const model = (x) => tf.tanh(x.matMul(w1)).matMul(w2);

// XOR-ish targets.
const x = tf.tensor([
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
]);
const y = tf.tensor([[0], [1], [1], [0]]);
const loss = () => tf.losses.meanSquaredError(y, model(x));

// Was: const optimizer = tf.train.adam(0.05);
const optimizer = createOptimizer('adam', { lr: 0.05, emaDecay: 0.9 });
for (let i = 0; i < 300; i++) optimizer.minimize(loss);

export const trained = tf.tidy(() => loss().dataSync()[0]);
// Evaluate with the averaged weights swapped in, then back out.
export const averaged = optimizer.withEvalParams({ 'dense1/kernel': w1, 'dense2/kernel': w2 }, () =>
  tf.tidy(() => loss().dataSync()[0]),
);
console.log(`loss ${trained.toFixed(4)} (EMA weights ${averaged.toFixed(4)})`);
optimizer.dispose();
