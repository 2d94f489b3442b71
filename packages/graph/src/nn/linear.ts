import type { Rng } from '@kd/core';
import { ShapeError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { SparseMatrix, spmm } from '../sparse.js';
import { glorot, kaimingUniform, zeros } from './init.js';
import { Module } from './module.js';

export interface LinearOptions {
  bias?: boolean;
  /** PyG `Linear`'s `weight_initializer`: `glorot`, or torch's default `kaiming_uniform`. */
  weightInitializer?: 'glorot' | 'kaiming_uniform';
  /** `zeros`, or torch's default (`kaiming_uniform`'s bound on the bias). */
  biasInitializer?: 'zeros' | 'kaiming_uniform';
}

/**
 * `y = x Wᵀ + b` with `weight` `[out, in]` as torch stores it. The input may
 * be a dense `[N, in]` tensor or a `SparseMatrix` of fixed features (bag of
 * words), which multiplies through the sparse kernel.
 */
export class Linear extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | undefined;

  constructor(inChannels: number, outChannels: number, rng: Rng, options: LinearOptions = {}) {
    super();
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    const shape = [outChannels, inChannels];
    const w =
      (options.weightInitializer ?? 'kaiming_uniform') === 'glorot'
        ? glorot(shape, rng)
        : kaimingUniform(shape, inChannels, rng);
    this.weight = this.addParameter('weight', { data: w, shape: shape });
    if (options.bias ?? true) {
      const b =
        (options.biasInitializer ?? 'kaiming_uniform') === 'zeros'
          ? zeros([outChannels])
          : kaimingUniform([outChannels], inChannels, rng);
      this.bias = this.addParameter('bias', { data: b, shape: [outChannels] });
    }
  }

  forward(x: tf.Tensor | SparseMatrix): tf.Tensor2D {
    const inDim = x instanceof SparseMatrix ? x.shape[1] : x.shape[x.shape.length - 1];
    if (inDim !== this.inChannels) {
      throw new ShapeError(`expected ${this.inChannels} input features, got ${inDim}`, {
        where: 'Linear.forward',
      });
    }
    return tf.tidy(() => {
      const y =
        x instanceof SparseMatrix
          ? spmm(x, undefined, tf.transpose(this.weight) as tf.Tensor2D)
          : (tf.matMul(x as tf.Tensor2D, this.weight as tf.Tensor2D, false, true) as tf.Tensor2D);
      return this.bias ? tf.add(y, this.bias) : y;
    });
  }
}
