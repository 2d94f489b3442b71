import { ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Activations by their Hugging Face `hidden_act` names
 * (`transformers.activations.ACT2FN`).
 */
export type ActivationName =
  | 'gelu'
  | 'gelu_new'
  | 'gelu_pytorch_tanh'
  | 'gelu_fast'
  | 'quick_gelu'
  | 'relu'
  | 'silu'
  | 'swish'
  | 'tanh'
  | 'sigmoid'
  | 'linear';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** Exact GELU: `x·Φ(x) = 0.5·x·(1 + erf(x/√2))` (HF `gelu`, torch default). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.div(x, Math.SQRT2)), 1)));
}

/**
 * The tanh approximation `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`
 * (HF `gelu_new`, `gelu_pytorch_tanh`, `gelu_fast`; GPT-2 uses it).
 */
export function geluTanh(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), SQRT_2_OVER_PI);
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
  });
}

/** `x·σ(x)` (HF `silu` / `swish`; Llama's gate). */
export function silu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
}

const TABLE: Record<ActivationName, (x: tf.Tensor) => tf.Tensor> = {
  gelu,
  gelu_new: geluTanh,
  gelu_pytorch_tanh: geluTanh,
  gelu_fast: geluTanh,
  quick_gelu: (x) => tf.tidy(() => tf.mul(x, tf.sigmoid(tf.mul(x, 1.702)))),
  relu: (x) => tf.relu(x),
  silu,
  swish: silu,
  tanh: (x) => tf.tanh(x),
  sigmoid: (x) => tf.sigmoid(x),
  linear: (x) => x,
};

export const ACTIVATION_NAMES = Object.keys(TABLE) as ActivationName[];

/** The activation function for a Hugging Face `hidden_act` name. */
export function activation(name: string): (x: tf.Tensor) => tf.Tensor {
  const f = TABLE[name as ActivationName];
  if (!f) {
    throw new ValidationError(
      `unknown activation "${name}"; known: ${ACTIVATION_NAMES.join(', ')}`,
      [],
      { where: 'hidden_act' },
    );
  }
  return f;
}
