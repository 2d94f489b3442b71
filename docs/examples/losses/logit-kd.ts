// Logit distillation is KL(p_teacher ‖ p_student) on temperature-softened
// distributions, times T² so its gradient keeps its scale as T changes
// (Hinton et al. 2015; DistilBERT does the same).
import { initBackend } from '@kd/core';
import { logitKd } from '@kd/losses';
import * as tf from '@tensorflow/tfjs-core';

await initBackend({ backend: 'cpu' });

const student = [
  [2.0, 0.5, -1.0],
  [0.1, 0.2, 0.3],
];
const teacher = [
  [3.0, 0.0, -2.0],
  [0.0, 1.0, 0.0],
];
const T = 2;

const fromKd = tf.tidy(
  () => logitKd(tf.tensor2d(student), tf.tensor2d(teacher), { temperature: T }).dataSync()[0],
);

// The same number from the definition, in plain JavaScript.
const softmax = (z: number[]) => {
  const e = z.map((v) => Math.exp(v / T));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};
const kl = (p: number[], q: number[]) => p.reduce((a, pi, i) => a + pi * Math.log(pi / q[i]), 0);
const byHand =
  (T * T * student.reduce((a, s, b) => a + kl(softmax(teacher[b]), softmax(s)), 0)) /
  student.length;

export const values = { fromKd, byHand };
console.log(fromKd.toFixed(6), byHand.toFixed(6));

// A mask leaves positions out (padding, prompt tokens): here the second row.
export const masked = tf.tidy(
  () =>
    logitKd(tf.tensor2d(student), tf.tensor2d(teacher), {
      temperature: T,
      mask: [1, 0],
    }).dataSync()[0],
);
console.log(masked.toFixed(6));
