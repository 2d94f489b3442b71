import { ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { checkNonNegative } from '../validate.js';
import { perParameter } from './per-parameter.js';

export interface SgdMomentumOptions {
  momentum: number;
  dampening?: number;
  nesterov?: boolean;
}

/**
 * torch.optim.SGD's momentum buffer: the first step stores the gradient
 * itself, later steps `buf = μ·buf + (1 − dampening)·g`; the direction is
 * `buf`, or `g + μ·buf` with Nesterov. (optax `trace` starts from zero
 * instead, so its first step is smaller.)
 */
export function scaleBySgdMomentum({
  momentum,
  dampening = 0,
  nesterov = false,
}: SgdMomentumOptions) {
  checkNonNegative(momentum, 'momentum');
  checkNonNegative(dampening, 'dampening');
  if (nesterov && (momentum <= 0 || dampening !== 0)) {
    throw new ValidationError(
      `nesterov needs momentum > 0 and dampening = 0, got momentum ${momentum} and dampening ${dampening}`,
    );
  }
  return perParameter({
    name: 'sgd',
    slots: (shape) => ({ momentum_buffer: { shape } }),
    numbers: { step: 0 },
    apply: ({ g, slots, numbers }) => {
      const buf =
        numbers.step === 0
          ? tf.clone(g)
          : tf.add(
              tf.mul(slots.momentum_buffer, momentum),
              dampening === 0 ? g : tf.mul(g, 1 - dampening),
            );
      const update = nesterov ? tf.add(g, tf.mul(buf, momentum)) : buf;
      return { update, slots: { momentum_buffer: buf }, numbers: { step: numbers.step + 1 } };
    },
  });
}
