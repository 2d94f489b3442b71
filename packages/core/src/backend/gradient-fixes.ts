import * as tf from '@tensorflow/tfjs-core';

/**
 * Gradients tfjs 4.22 gets wrong or lacks, registered by `initBackend`.
 *
 * - Comparison and logical ops are not differentiable, and TensorFlow gives
 *   them a zero gradient. tfjs registers none, so a mask computed from a
 *   trained tensor (`where(greater(x, 0), x, …)`) makes `tf.grad` throw
 *   "gradient function not found for Greater".
 * - BatchMatMul's gradient does not sum over broadcast batch dimensions, so
 *   `matMul([B, T, d], [d, k])` cannot be differentiated with respect to the
 *   2-D operand (its gradient comes back `[B, d, k]`).
 * - Cumsum's gradient transposes for any axis but the last, so its shape is
 *   wrong; the gradient of a cumulative sum is the reverse cumulative sum
 *   along the same axis.
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

/** Sums a broadcast batch gradient back to the operand's batch shape. */
function reduceBatch(grad: tf.Tensor, shape: readonly number[]): tf.Tensor {
  if (grad.shape.length === shape.length && grad.shape.every((d, i) => d === shape[i])) return grad;
  const lead = grad.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < grad.rank - 2; i++) {
    if (i < lead || shape[i - lead] === 1) axes.push(i);
  }
  return tf.reshape(axes.length ? tf.sum(grad, axes) : grad, shape as number[]);
}

function fixedBatchMatMul(): tf.GradConfig {
  return {
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved;
      const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
      const d = dy as tf.Tensor;
      const [ga, gb] = !transposeA
        ? !transposeB
          ? [() => tf.matMul(d, b, false, true), () => tf.matMul(a, d, true, false)]
          : [() => tf.matMul(d, b, false, false), () => tf.matMul(d, a, true, false)]
        : !transposeB
          ? [() => tf.matMul(b, d, false, true), () => tf.matMul(a, d, false, false)]
          : [() => tf.matMul(b, d, true, true), () => tf.matMul(d, a, true, true)];
      return { a: () => reduceBatch(ga(), a.shape), b: () => reduceBatch(gb(), b.shape) };
    },
  };
}

function fixedCumsum(): tf.GradConfig {
  return {
    kernelName: 'Cumsum',
    inputsToSave: ['x'],
    gradFunc: (dy, _saved, attrs) => {
      const { axis, exclusive, reverse } = attrs as {
        axis: number;
        exclusive: boolean;
        reverse: boolean;
      };
      return { x: () => tf.cumsum(dy as tf.Tensor, axis, exclusive, !reverse) };
    },
  };
}

export function registerGradientFixes(): void {
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
  tf.registerGradient(fixedBatchMatMul());
  tf.registerGradient(fixedCumsum());
}
