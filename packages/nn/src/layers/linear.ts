import { type Rng, ShapeError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { type Init, initValues, torchLinearInit, zeros } from '../init.js';
import { Module, type Parameter } from '../module.js';

export interface LinearOptions {
  /** Default true. */
  bias?: boolean;
  /** Needed for random initialisers (the default ones are random). */
  rng?: Rng;
  /** Default: torch's U(±1/√inFeatures). */
  weightInit?: Init;
  /** Default: torch's U(±1/√inFeatures); models pass zeros. */
  biasInit?: Init;
  /**
   * Use this existing `[out, in]` variable as the weight instead of making
   * one (an output projection tied to the input embeddings).
   */
  tiedWeight?: Parameter;
}

/**
 * `y = x Wᵀ + b` over the last axis, with `weight` stored `[out, in]` as
 * torch's `nn.Linear` stores it, so checkpoints map 1:1.
 */
export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | undefined;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions = {},
  ) {
    super();
    if (options.tiedWeight) {
      const [o, i] = options.tiedWeight.shape;
      if (o !== outFeatures || i !== inFeatures) {
        throw new ShapeError(
          `tied weight is [${o}, ${i}], expected [${outFeatures}, ${inFeatures}]`,
          { where: 'Linear' },
        );
      }
      this.weight = this.registerParameter('weight', options.tiedWeight);
    } else {
      const init = options.weightInit ?? torchLinearInit(inFeatures);
      this.weight = this.addParameter(
        'weight',
        initValues([outFeatures, inFeatures], init, options.rng),
      );
    }
    this.bias =
      options.bias === false
        ? undefined
        : this.addParameter(
            'bias',
            initValues([outFeatures], options.biasInit ?? torchLinearInit(inFeatures), options.rng),
          );
  }

  forward(x: tf.Tensor): tf.Tensor {
    checkLastDim(x, this.inFeatures, this.constructor.name);
    return tf.tidy(() => {
      const lead = x.shape.slice(0, -1);
      const x2 = x.rank === 2 ? x : x.reshape([-1, this.inFeatures]);
      let y = tf.matMul(x2, this.weight, false, true);
      if (this.bias) y = tf.add(y, this.bias);
      return x.rank === 2 ? y : y.reshape([...lead, this.outFeatures]);
    });
  }
}

/**
 * GPT-2's `Conv1D`: a linear layer whose `weight` is stored `[in, out]`
 * (`y = x W + b`), kept in that layout so GPT-2 checkpoints map 1:1.
 */
export class Conv1D extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: { rng?: Rng; weightInit?: Init } = {},
  ) {
    super();
    const init = options.weightInit ?? { kind: 'normal', std: 0.02 };
    this.weight = this.addParameter(
      'weight',
      initValues([inFeatures, outFeatures], init, options.rng),
    );
    this.bias = this.addParameter('bias', initValues([outFeatures], zeros, undefined));
  }

  forward(x: tf.Tensor): tf.Tensor {
    checkLastDim(x, this.inFeatures, 'Conv1D');
    return tf.tidy(() => {
      const lead = x.shape.slice(0, -1);
      const x2 = x.rank === 2 ? x : x.reshape([-1, this.inFeatures]);
      const y = tf.add(tf.matMul(x2, this.weight), this.bias);
      return x.rank === 2 ? y : y.reshape([...lead, this.outFeatures]);
    });
  }
}

export function checkLastDim(x: tf.Tensor, expected: number, where: string): void {
  if (x.rank < 1 || x.shape[x.rank - 1] !== expected) {
    throw new ShapeError(`expected input [..., ${expected}], got [${x.shape.join(', ')}]`, {
      where,
    });
  }
}
