// Schedules are pure functions of the step. A registry entry shapes the
// optimizer's lr; here torch's OneCycleLR, computed as torch computes it.
import { initBackend } from '@kd/core';
import { createOptimizer, oneCycleSchedule } from '@kd/optim';
import * as tf from '@tensorflow/tfjs-core';

await initBackend({ backend: 'cpu' });

const lr = oneCycleSchedule(0.1, { totalSteps: 10 });
console.log('one-cycle:', Array.from({ length: 10 }, (_, t) => lr(t).toPrecision(3)).join(' '));

const optimizer = createOptimizer('sgd', {
  lr: 0.1,
  momentum: 0.9,
  schedule: { id: 'one-cycle', options: { totalSteps: 10 } },
});
const w = tf.variable(tf.tensor([1]));
export const used = [];
for (let t = 0; t < 10; t++) {
  tf.tidy(() => optimizer.step({ w }, { w: tf.mul(w, 2) }));
  used.push(optimizer.lr); // the rate this step used: lr(t)
}
optimizer.dispose();
