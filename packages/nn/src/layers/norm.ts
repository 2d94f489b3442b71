import * as tf from '@tensorflow/tfjs-core';
import { initValues, ones, zeros } from '../init.js';
import { Module, type Parameter } from '../module.js';
import { checkLastDim } from './linear.js';

/**
 * torch's `nn.LayerNorm` over the last axis: `(x − mean)/√(var + eps)·w + b`
 * with the biased variance.
 */
export class LayerNorm extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | undefined;

  constructor(
    readonly dim: number,
    readonly eps = 1e-5,
    options: { bias?: boolean } = {},
  ) {
    super();
    this.weight = this.addParameter('weight', initValues([dim], ones, undefined));
    this.bias =
      options.bias === false
        ? undefined
        : this.addParameter('bias', initValues([dim], zeros, undefined));
  }

  forward(x: tf.Tensor): tf.Tensor {
    checkLastDim(x, this.dim, 'LayerNorm');
    return tf.tidy(() => {
      const mean = tf.mean(x, -1, true);
      const centered = tf.sub(x, mean);
      const variance = tf.mean(tf.square(centered), -1, true);
      const y = tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, this.eps))), this.weight);
      return this.bias ? tf.add(y, this.bias) : y;
    });
  }
}

/**
 * Root-mean-square norm as Llama and llama2.c apply it:
 * `w · x / √(mean(x²) + eps)`.
 */
export class RMSNorm extends Module {
  readonly weight: Parameter;

  constructor(
    readonly dim: number,
    readonly eps = 1e-6,
  ) {
    super();
    this.weight = this.addParameter('weight', initValues([dim], ones, undefined));
  }

  forward(x: tf.Tensor): tf.Tensor {
    checkLastDim(x, this.dim, 'RMSNorm');
    return tf.tidy(() => {
      const ms = tf.mean(tf.square(x), -1, true);
      return tf.mul(this.weight, tf.mul(x, tf.rsqrt(tf.add(ms, this.eps))));
    });
  }
}
