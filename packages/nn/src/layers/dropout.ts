import { Rng, ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';

/**
 * Inverted dropout: in training, zeroes each element with probability `p`
 * and scales the rest by 1/(1−p); in eval mode returns its input unchanged
 * (no new tensor). Masks come from the module's own `Rng` stream, drawn in
 * JS, so a seed gives the same masks on every backend; models seed every
 * dropout from their seed (`seedDropout`).
 */
export class Dropout extends Module {
  rng: Rng;

  constructor(
    readonly p: number,
    rng?: Rng,
  ) {
    super();
    if (!(p >= 0 && p < 1)) {
      throw new ValidationError(`dropout probability must be in [0, 1), got ${p}`, [], {
        where: 'Dropout',
      });
    }
    this.rng = rng ?? new Rng(0);
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (!this.training || this.p === 0) return x;
    const keep = 1 - this.p;
    const scale = 1 / keep;
    const mask = new Float32Array(x.size);
    for (let i = 0; i < mask.length; i++) mask[i] = this.rng.uniform() < keep ? scale : 0;
    return tf.tidy(() => tf.mul(x, tf.tensor(mask, x.shape, 'float32')));
  }
}

/**
 * Gives every `Dropout` under `root` its own stream forked from `rng` by the
 * dropout's dotted name, so adding a layer does not shift the others' masks.
 */
export function seedDropout(root: Module, rng: Rng): void {
  for (const [name, m] of root.namedModules()) {
    if (m instanceof Dropout) m.rng = rng.fork(`dropout:${name}`);
  }
}

/** The dropout streams' states by module name, for checkpoints. */
export function dropoutState(root: Module): Record<string, ReturnType<Rng['getState']>> {
  const out: Record<string, ReturnType<Rng['getState']>> = {};
  for (const [name, m] of root.namedModules())
    if (m instanceof Dropout) out[name] = m.rng.getState();
  return out;
}

/** Restores `dropoutState`; names that are not dropouts here are ignored. */
export function setDropoutState(
  root: Module,
  state: Record<string, ReturnType<Rng['getState']>>,
): void {
  for (const [name, m] of root.namedModules()) {
    if (m instanceof Dropout && state[name]) m.rng.setState(state[name]);
  }
}
