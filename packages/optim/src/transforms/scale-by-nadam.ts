import * as tf from '@tensorflow/tfjs-core';
import { moment, squaredMoment } from '../ops.js';
import { checkNonNegative, checkRate } from '../validate.js';
import { perParameter } from './per-parameter.js';

export interface NadamRuleOptions {
  betas?: readonly [number, number];
  eps?: number;
  momentumDecay?: number;
}

/**
 * torch.optim.NAdam (Dozat 2016 with torch's momentum schedule
 * `μₜ = β₁(1 − ½·0.96^(t·ψ))`): direction
 * `(1 − μₜ)/(1 − Πμ)·g/d + μₜ₊₁/(1 − Πμ·μₜ₊₁)·m/d`, `d = √(v/(1 − β₂ᵗ)) + ε`.
 * The product of μ is kept per parameter (`mu_product`), as torch does.
 */
export function scaleByNadam({
  betas = [0.9, 0.999],
  eps = 1e-8,
  momentumDecay = 4e-3,
}: NadamRuleOptions = {}) {
  const [b1, b2] = betas;
  checkRate(b1, 'betas[0]');
  checkRate(b2, 'betas[1]');
  checkNonNegative(eps, 'eps');
  checkNonNegative(momentumDecay, 'momentumDecay');
  return perParameter({
    name: 'nadam',
    slots: (shape) => ({ exp_avg: { shape }, exp_avg_sq: { shape } }),
    numbers: { step: 0, mu_product: 1 },
    apply: ({ g, slots, numbers }) => {
      const step = numbers.step + 1;
      const mu = b1 * (1 - 0.5 * 0.96 ** (step * momentumDecay));
      const muNext = b1 * (1 - 0.5 * 0.96 ** ((step + 1) * momentumDecay));
      const muProduct = numbers.mu_product * mu;
      const expAvg = moment(slots.exp_avg, g, b1);
      const expAvgSq = squaredMoment(slots.exp_avg_sq, g, b2);
      // x/(√(v/bc₂) + ε) = x·√bc₂/(√v + ε√bc₂): the bias correction rides on the scalars.
      const bc2Sqrt = Math.sqrt(1 - b2 ** step);
      const denom = tf.add(tf.sqrt(expAvgSq), eps * bc2Sqrt);
      const update = tf.div(
        tf.add(
          tf.mul(g, (bc2Sqrt * (1 - mu)) / (1 - muProduct)),
          tf.mul(expAvg, (bc2Sqrt * muNext) / (1 - muProduct * muNext)),
        ),
        denom,
      );
      return {
        update,
        slots: { exp_avg: expAvg, exp_avg_sq: expAvgSq },
        numbers: { step, mu_product: muProduct },
      };
    },
  });
}
