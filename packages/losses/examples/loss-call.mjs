// The losses are pure functions of tensors. Masks (1 = token, 0 = padding)
// have the inputs' leading shape; padded positions never count.
import { initBackend } from '@kd/core';
import { attentionKl, hiddenMse, logitKd } from '@kd/losses';
import * as tf from '@tensorflow/tfjs-core';

await initBackend({ backend: 'cpu' });

// Logits [batch 1, positions 3, vocabulary 4]; the last position is padding.
const student = tf.tensor3d([
  [
    [1, 0, 0, 0],
    [0, 2, 0, 0],
    [9, 9, 9, 9],
  ],
]);
const teacher = tf.tensor3d([
  [
    [2, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 0, 9],
  ],
]);
const mask = [[1, 1, 0]];

// T²·KL(p_t‖p_s)/n with p = softmax(z/T): T² on by default (DistilBERT, Hinton).
export const kd = logitKd(student, teacher, { temperature: 2, mask }).dataSync()[0];
// The same without T² (TextBrewer's and TinyBERT's convention), and reverse KL.
export const kdNoT2 = logitKd(student, teacher, {
  temperature: 2,
  mask,
  scaleByTemperatureSquared: false,
}).dataSync()[0];
export const reverse = logitKd(student, teacher, { direction: 'reverse', mask }).dataSync()[0];

// Hidden states of different widths need a projection: torch layout [d_t, d_s].
const hs = tf.randomNormal([1, 3, 2], 0, 1, 'float32', 1);
const ht = tf.randomNormal([1, 3, 4], 0, 1, 'float32', 2);
const projection = { weight: tf.randomNormal([4, 2], 0, 0.5, 'float32', 3), bias: tf.zeros([4]) };
export const hidden = hiddenMse(hs, ht, { mask, projection }).dataSync()[0];

// Attention maps [B, H, T, S]: a 1-head student against a 2-head teacher (heads averaged).
const as = tf.softmax(tf.randomNormal([1, 1, 3, 3], 0, 1, 'float32', 4));
const at = tf.softmax(tf.randomNormal([1, 2, 3, 3], 0, 1, 'float32', 5));
export const attention = attentionKl(as, at, { mask }).dataSync()[0];

console.log({ kd, kdNoT2, reverse, hidden, attention });
