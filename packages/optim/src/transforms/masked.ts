import * as tf from '@tensorflow/tfjs-core';
import { type NameMatcher, nameMatcher } from '../names.js';
import { EMPTY_STATE } from '../state.js';
import type { GradientTransformation, Params, State, Updates } from '../types.js';

function pick<T>(record: Readonly<Record<string, T>>, keep: (name: string) => boolean) {
  return Object.fromEntries(Object.entries(record).filter(([k]) => keep(k)));
}

/**
 * Applies `inner` only to the parameters `mask` selects (optax `masked`);
 * the others' updates pass through unchanged. The inner state holds only
 * the selected parameters.
 */
export function masked(inner: GradientTransformation, mask: NameMatcher): GradientTransformation {
  const selected = nameMatcher(mask);
  return {
    name: inner.name,
    init: (params: Params): State => ({
      ...EMPTY_STATE,
      inner: { '': inner.init(pick(params, selected)) },
    }),
    update(grads: Updates, state: State, params?: Params): [Updates, State] {
      const [mine, s] = inner.update(
        pick(grads, selected),
        state.inner[''] ?? inner.init({}),
        params && pick(params, selected),
      );
      const passed = tf.tidy(() =>
        Object.fromEntries(
          Object.entries(grads)
            .filter(([k]) => !selected(k))
            .map(([k, t]) => [k, tf.clone(t)]),
        ),
      );
      return [
        { ...passed, ...mine },
        { ...state, inner: { '': s } },
      ];
    },
    evalParams: inner.evalParams
      ? (state, params) => inner.evalParams!(state.inner[''] ?? EMPTY_STATE, pick(params, selected))
      : undefined,
  };
}
