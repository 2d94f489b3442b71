import * as tf from '@tensorflow/tfjs-core';
import { type NameMatcher, nameMatcher } from '../names.js';
import type { ScalarOrSchedule } from '../types.js';
import { checkNonNegative, scheduleValue } from '../validate.js';
import { perParameter } from './per-parameter.js';

export interface AddDecayedWeightsOptions {
  /** Parameters that are not decayed (`['bias', 'LayerNorm.weight']`). */
  exclude?: NameMatcher;
}

/**
 * Adds `weightDecay · θ` to the updates (optax `add_decayed_weights`).
 * Before an adaptive rule it is torch's L2 `weight_decay` (added to the
 * gradient); after it and before the learning rate it is decoupled decay
 * (AdamW), so the decay is scaled by the learning rate as in torch.
 */
export function addDecayedWeights(
  weightDecay: ScalarOrSchedule,
  { exclude }: AddDecayedWeightsOptions = {},
) {
  if (typeof weightDecay === 'number') checkNonNegative(weightDecay, 'weightDecay');
  const skip = exclude === undefined ? () => false : nameMatcher(exclude);
  return perParameter<number>({
    name: 'weight_decay',
    needsParams: true,
    scalars: typeof weightDecay === 'number' ? {} : { count: 0 },
    prepare: (s): { ctx: number; scalars: Record<string, number> } =>
      typeof weightDecay === 'number'
        ? { ctx: weightDecay, scalars: {} }
        : {
            ctx: scheduleValue(weightDecay, s.count, 'weightDecay'),
            scalars: { count: s.count + 1 },
          },
    apply: ({ g, param, name, ctx }) => ({
      update: ctx === 0 || skip(name) ? tf.clone(g) : tf.add(g, tf.mul(param!, ctx)),
    }),
  });
}
