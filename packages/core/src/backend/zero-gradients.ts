import * as tf from '@tensorflow/tfjs-core';

/**
 * Comparison and logical ops are not differentiable, and TensorFlow treats
 * them as having zero gradient. tfjs registers no gradient for them, so a
 * mask computed from a trained tensor (`where(greater(x, 0), x, …)`, padding
 * masks from ids) makes `tf.grad` throw "gradient function not found for
 * Greater". Registering a zero gradient for each restores TF's behaviour.
 */
const NON_DIFFERENTIABLE = [
  'Equal',
  'NotEqual',
  'Greater',
  'GreaterEqual',
  'Less',
  'LessEqual',
  'LogicalAnd',
  'LogicalOr',
  'LogicalNot',
  'LogicalXor',
  'IsNan',
  'IsInf',
  'IsFinite',
];

export function registerZeroGradients(): void {
  for (const kernelName of NON_DIFFERENTIABLE) {
    if (tf.getGradient(kernelName)) continue;
    const inputs = kernelName === 'LogicalNot' || kernelName.startsWith('Is') ? ['x'] : ['a', 'b'];
    tf.registerGradient({
      kernelName,
      inputsToSave: inputs,
      gradFunc: (_dy, saved) =>
        Object.fromEntries(inputs.map((name, i) => [name, () => tf.zerosLike(saved[i])])),
    });
  }
}
