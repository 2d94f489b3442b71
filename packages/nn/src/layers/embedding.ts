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
    // gather's gradient is UnsortedSegmentSum, which initBackend makes a single
    // O(tokens · dim) pass on cpu and wasm.
    return tf.gather(this.weight, ids);
  }
}
