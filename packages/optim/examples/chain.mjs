// A custom optimiser from transforms, optax style: clip, Adam's scaling,
// decoupled decay that skips biases, a warmup-cosine learning rate.
import { initBackend } from '@kd/core';
import {
  addDecayedWeights,
  chain,
  clipByGlobalNorm,
  Optimizer,
  scaleByAdam,
  scaleByLearningRate,
  warmupCosineSchedule,
} from '@kd/optim';
import * as tf from '@tensorflow/tfjs-core';

await initBackend({ backend: 'cpu' });

const tx = chain(
  clipByGlobalNorm(1.0),
  scaleByAdam({ betas: [0.9, 0.999], eps: 1e-8 }),
  addDecayedWeights(0.01, { exclude: ['bias'] }),
  scaleByLearningRate(warmupCosineSchedule(0.05, { warmupSteps: 10, totalSteps: 200 })),
);
const optimizer = new Optimizer(tx);

// Fit y = 3x − 1 with parameters named as a model would name them.
const params = {
  'linear.weight': tf.variable(tf.zeros([1, 1])),
  'linear.bias': tf.variable(tf.zeros([1])),
};
const x = tf.linspace(-1, 1, 32).reshape([32, 1]);
const y = x.mul(3).sub(1);
const loss = () =>
  tf.losses.meanSquaredError(y, x.matMul(params['linear.weight']).add(params['linear.bias']));

for (let step = 0; step < 200; step++) {
  tf.tidy(() => {
    const { grads } = tf.variableGrads(loss, Object.values(params));
    // variableGrads keys by tf variable name; the optimizer wants parameter names.
    const byName = Object.fromEntries(Object.entries(params).map(([n, v]) => [n, grads[v.name]]));
    optimizer.step(params, byName);
  });
}
export const finalLoss = tf.tidy(() => loss().dataSync()[0]);
console.log(`loss ${finalLoss.toFixed(5)}, lr now ${optimizer.lr}`);
