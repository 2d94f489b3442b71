import { moment, sign } from '../ops.js';
import { checkRate } from '../validate.js';
import { perParameter } from './per-parameter.js';

export interface LionRuleOptions {
  betas?: readonly [number, number];
}

/**
 * Lion (Chen et al. 2023, Alg. 2; optax `scale_by_lion`): direction
 * `sign(β₁·m + (1 − β₁)·g)`, then `m = β₂·m + (1 − β₂)·g`.
 */
export function scaleByLion({ betas = [0.9, 0.99] }: LionRuleOptions = {}) {
  const [b1, b2] = betas;
  checkRate(b1, 'betas[0]');
  checkRate(b2, 'betas[1]');
  return perParameter({
    name: 'lion',
    slots: (shape) => ({ exp_avg: { shape } }),
    apply: ({ g, slots }) => ({
      update: sign(moment(slots.exp_avg, g, b1)),
      slots: { exp_avg: moment(slots.exp_avg, g, b2) },
    }),
  });
}
