// Optimizer state goes into a @kd/core checkpoint keyed `<param>/<slot>`
// and comes back bit for bit; a run resumed from it continues exactly.
import { initBackend, MemoryCheckpointStore } from '@kd/core';
import { createOptimizer } from '@kd/optim';
import * as tf from '@tensorflow/tfjs-core';

await initBackend({ backend: 'cpu' });

const store = new MemoryCheckpointStore();
const w = tf.variable(tf.tensor([1, -1]));
const grad = () => tf.mul(w, 2);
const options = { lr: 0.1, schedule: { id: 'cosine', options: { tMax: 20 } } };

const first = createOptimizer('adamw', options);
for (let t = 0; t < 10; t++)
  tf.tidy(() => first.step({ 'head.weight': w }, { 'head.weight': grad() }));
await store.save({ step: 10, params: {}, optimizer: await first.exportState() });
console.log(Object.keys((await store.latest()).optimizer.tensors)); // head.weight/adam.exp_avg, …

const resumed = createOptimizer('adamw', options);
resumed.importState((await store.latest()).optimizer); // applied at the first step
for (let t = 10; t < 20; t++)
  tf.tidy(() => resumed.step({ 'head.weight': w }, { 'head.weight': grad() }));
export const iterations = resumed.iterations;
first.dispose();
resumed.dispose();
