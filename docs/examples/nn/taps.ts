// Taps record hidden states and attention maps from inside a model without
// changing its code: what feature and attention distillation losses consume.
import { initBackend } from '@kd/core';
import { BertModel, withTaps } from '@kd/nn';
import * as tf from '@tensorflow/tfjs-core';

await initBackend({ backend: 'cpu' });

const config = { vocabSize: 100, numAttentionHeads: 4, intermediateSize: 64 };
const teacher = new BertModel(
  { ...config, hiddenSize: 32, numHiddenLayers: 4 },
  { seed: 1 },
).eval();
const student = new BertModel({ ...config, hiddenSize: 32, numHiddenLayers: 2 }, { seed: 2 });

const inputIds = [
  [2, 17, 9, 3],
  [2, 44, 3, 0],
];
const attentionMask = [
  [1, 1, 1, 1],
  [1, 1, 1, 0],
];

export const mse = tf.tidy(() => {
  const t = withTaps(teacher, { hidden: true, attentions: true }, () =>
    teacher.forward({ inputIds, attentionMask }),
  );
  const s = withTaps(student, { hidden: true, attentions: true }, () =>
    student.forward({ inputIds, attentionMask }),
  );
  console.log(t.taps.hidden.length, t.taps.hidden[0].shape); // 5 [ 2, 4, 32 ]  (embeddings + 4 layers)
  console.log(t.taps.attentions.length, t.taps.attentions[0].shape); // 4 [ 2, 4, 4, 4 ]  (B, H, T, T)
  console.log(t.taps.sources.attentions[3]); // encoder.layer.3.attention.self
  // TinyBERT-style layer map: student layer i ← teacher layer 2i (hidden states, last layer).
  return tf.losses.meanSquaredError(t.taps.hidden[4], s.taps.hidden[2]).dataSync()[0];
});
console.log(`hidden-state MSE between the last layers: ${mse.toFixed(4)}`);
teacher.dispose();
student.dispose();
