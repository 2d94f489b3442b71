import { type Rng, ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { type Init, initValues, normal } from '../init.js';
import { Module, type Parameter } from '../module.js';

export interface EmbeddingOptions {
  rng?: Rng;
  /** Default N(0, 1), torch's default. Models pass N(0, initializer_range). */
  init?: Init;
  /** Row initialised to zeros (torch's `padding_idx`; its gradient is not masked). */
  paddingIdx?: number;
}

/** A lookup table `weight[numEmbeddings, dim]`: ids `[...]` → `[..., dim]`. */
export class Embedding extends Module {
  readonly weight: Parameter;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: EmbeddingOptions = {},
  ) {
    super();
    const values = initValues(
      [numEmbeddings, embeddingDim],
      options.init ?? normal(1),
      options.rng,
    );
    if (options.paddingIdx !== undefined) {
      values.data.fill(
        0,
        options.paddingIdx * embeddingDim,
        (options.paddingIdx + 1) * embeddingDim,
      );
    }
    this.weight = this.addParameter('weight', values);
  }

  forward(ids: tf.Tensor): tf.Tensor {
    if (ids.dtype !== 'int32') {
      throw new ValidationError(`token ids must be int32, got ${ids.dtype}`, [], {
        where: 'Embedding',
      });
    }
    return lookup(this.weight, ids);
  }
}

/**
 * `tf.gather(weight, ids)` whose gradient is a scatter-add of the incoming
 * rows, O(tokens · dim). tf.gather's own gradient calls UnsortedSegmentSum,
 * which stock tfjs-cpu runs as one equal/multiply/sum pass per vocabulary
 * row, O(vocab · tokens · dim): 90% of a training step on cpu with a 2k
 * vocabulary. (Reads the gradient synchronously; ids outside the table add
 * nothing, as UnsortedSegmentSum does.)
 */
const lookup = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [weight, ids, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([ids]);
  const [rows, dim] = weight.shape as [number, number];
  return {
    value: tf.gather(weight, ids),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const g = dy.dataSync() as Float32Array;
      const idx = saved[0].dataSync() as Int32Array;
      const out = new Float32Array(rows * dim);
      for (let i = 0; i < idx.length; i++) {
        const r = idx[i];
        if (r < 0 || r >= rows) continue;
        const from = i * dim;
        const to = r * dim;
        for (let j = 0; j < dim; j++) out[to + j] += g[from + j];
      }
      return [tf.tensor2d(out, [rows, dim]), tf.zerosLike(saved[0])];
    },
  };
}) as (weight: tf.Tensor, ids: tf.Tensor) => tf.Tensor;
