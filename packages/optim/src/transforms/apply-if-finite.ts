import * as tf from '@tensorflow/tfjs-core';
import type { GradientTransformation, Params, State, Updates } from '../types.js';

/**
 * Names of the tensors holding NaN or ±Infinity. Fast path: one sum over
 * everything and one number read back, as NaN and ±Infinity survive any sum;
 * only when that total is not finite (a bad value, or a finite overflow) is
 * each tensor checked element by element.
 */
export function nonFiniteNames(tensors: Updates): string[] {
  const names = Object.keys(tensors);
  if (names.length === 0) return [];
  const total = tf.tidy(() => tf.addN(names.map((n) => tf.sum(tensors[n]))));
  const finite = Number.isFinite(total.dataSync()[0]);
  total.dispose();
  if (finite) return [];
  const flags = tf.tidy(() =>
    tf.stack(names.map((n) => tf.cast(tf.all(tf.isFinite(tensors[n])), 'int32'))),
  );
  const data = flags.dataSync();
  flags.dispose();
  return names.filter((_, i) => data[i] === 0);
}

export interface ApplyIfFiniteOptions {
  /** After this many rejected steps in a row, apply the update anyway (optax's default is to keep rejecting). */
  maxConsecutiveErrors?: number;
}

/**
 * Skips steps whose incoming updates hold NaN or ±Infinity (optax
 * `apply_if_finite`): the inner transform does not run, its state is left
 * as it was and no updates come out. Counts are kept as `nonfinite_count`
 * (in a row) and `nonfinite_total`.
 */
export function applyIfFinite(
  inner: GradientTransformation,
  { maxConsecutiveErrors = Number.POSITIVE_INFINITY }: ApplyIfFiniteOptions = {},
): GradientTransformation {
  return {
    name: inner.name,
    init: (params: Params): State => ({
      slots: {},
      perParam: {},
      scalars: { nonfinite_count: 0, nonfinite_total: 0 },
      inner: { '': inner.init(params) },
    }),
    update(grads: Updates, state: State, params?: Params): [Updates, State] {
      const bad = nonFiniteNames(grads).length > 0;
      const count = bad ? (state.scalars.nonfinite_count ?? 0) + 1 : 0;
      const total = (state.scalars.nonfinite_total ?? 0) + (bad ? 1 : 0);
      const scalars = { nonfinite_count: count, nonfinite_total: total };
      if (bad && count <= maxConsecutiveErrors) return [{}, { ...state, scalars }];
      const [updates, s] = inner.update(grads, state.inner[''] ?? inner.init({}), params);
      return [updates, { ...state, scalars, inner: { '': s } }];
    },
    evalParams: inner.evalParams
      ? (state, params) => inner.evalParams!(state.inner[''], params)
      : undefined,
  };
}
