import type { Rng } from '@kd/core';
import { Linear } from '@kd/nn';
import * as tf from '@tensorflow/tfjs-core';
import { SparseMatrix, spmm } from '../sparse.js';
import { glorotBound } from './init.js';

/**
 * A @kd/nn `Linear` (`weight` `[out, in]`, torch layout) initialised as PyG's
 * `Linear(weight_initializer='glorot')`, with a zero bias when it has one.
 */
export function glorotLinear(
  inChannels: number,
  outChannels: number,
  rng: Rng,
  bias = false,
): Linear {
  const a = glorotBound(outChannels, inChannels);
  return new Linear(inChannels, outChannels, {
    rng,
    bias,
    weightInit: { kind: 'uniform', low: -a, high: a },
    biasInit: { kind: 'zeros' },
  });
}

/**
 * `lin(x)` for dense inputs, and through the sparse kernel for a
 * `SparseMatrix` of fixed features (bag of words): `x Wᵀ + b` without
 * densifying `x`.
 */
export function linearForward(lin: Linear, x: tf.Tensor | SparseMatrix): tf.Tensor2D {
  if (!(x instanceof SparseMatrix)) return lin.forward(x) as tf.Tensor2D;
  return tf.tidy(() => {
    const y = spmm(x, undefined, tf.transpose(lin.weight) as tf.Tensor2D);
    return (lin.bias ? tf.add(y, lin.bias) : y) as tf.Tensor2D;
  });
}
