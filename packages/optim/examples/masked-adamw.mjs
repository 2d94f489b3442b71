// AdamW with torch defaults, no weight decay on biases and LayerNorm
// weights, and LoRA+'s 16× learning rate on the B matrices (a parameter group).
import { initBackend } from '@kd/core';
import { adamw, createOptimizer, Optimizer } from '@kd/optim';
import * as tf from '@tensorflow/tfjs-core';

await initBackend({ backend: 'cpu' });

// In code: the optimiser function takes torch's options plus name patterns.
const plain = new Optimizer(
  adamw({ lr: 2e-4, weightDecay: 0.01, noDecay: ['bias', 'LayerNorm.weight'] }),
);

// The same as a registry entry (what a recipe's `optimizer:` field builds), with a group.
const loraPlus = createOptimizer('adamw', {
  lr: 2e-4,
  weightDecay: 0.01,
  noDecay: ['bias', 'LayerNorm.weight'],
  groups: [{ name: 'lora_b', params: ['lora_B.*'], lrScale: 16 }],
});

const params = {
  'q.lora_A.default.weight': tf.variable(tf.randomNormal([4, 8], 0, 0.02, 'float32', 1)),
  'q.lora_B.default.weight': tf.variable(tf.zeros([8, 4])),
  'q.bias': tf.variable(tf.zeros([8])),
};
const grads = tf.tidy(() => ({
  'q.lora_A.default.weight': tf.onesLike(params['q.lora_A.default.weight']),
  'q.lora_B.default.weight': tf.onesLike(params['q.lora_B.default.weight']),
  'q.bias': tf.onesLike(params['q.bias']),
}));
loraPlus.step(params, grads);
// Adam's first step moves every weight by ≈ lr: 16 × 2e-4 for B, 2e-4 for the bias.
export const loraB = params['q.lora_B.default.weight'].dataSync()[0];
export const bias = params['q.bias'].dataSync()[0];
console.log(`lora_B moved ${loraB}, bias moved ${bias}`);
plain.dispose();
loraPlus.dispose();
