import { ShapeError, ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import type { GradientTransformation, Params, State, Updates } from '../types.js';

/**
 * Gradient accumulation over `k` micro-batches (optax `MultiSteps`): the
 * gradients are summed, and every k-th call `inner` sees their mean and
 * produces the updates. In between, `update` returns no updates at all
 * (an empty record), so nothing is written to the parameters.
 *
 * The sum is kept as `grad_accum` per parameter and the position in the
 * cycle as `grad_accum_step`; the inner state is saved without a prefix.
 */
export function multiSteps(inner: GradientTransformation, k: number): GradientTransformation {
  if (!Number.isInteger(k) || k < 1) {
    throw new ValidationError(`accumulation steps must be an integer >= 1, got ${k}`);
  }
  const zerosFor = (params: Readonly<Record<string, tf.Tensor>>) =>
    Object.fromEntries(Object.entries(params).map(([n, p]) => [n, tf.zeros(p.shape, 'float32')]));

  return {
    name: inner.name,
    init: (params: Params): State => ({
      slots: { grad_accum: zerosFor(params) },
      perParam: {},
      scalars: { grad_accum_step: 0 },
      inner: { '': inner.init(params) },
    }),
    update(grads: Updates, state: State, params?: Params): [Updates, State] {
      const step = state.scalars.grad_accum_step ?? 0;
      const acc = state.slots.grad_accum ?? {};
      for (const [name, g] of Object.entries(grads)) {
        const a = acc[name];
        if (a && (a.shape.length !== g.shape.length || a.shape.some((d, i) => d !== g.shape[i]))) {
          throw new ShapeError(
            `accumulated gradient has shape [${a.shape}] but the new one [${g.shape}]`,
            { where: name },
          );
        }
      }
      const summed: Record<string, tf.Tensor> = tf.tidy(() =>
        Object.fromEntries(
          Object.entries(grads).map(([name, g]) => [
            name,
            acc[name] ? tf.add(acc[name], g) : tf.clone(g),
          ]),
        ),
      );
      const nextAcc = { ...acc, ...summed };
      if (step + 1 < k) {
        return [
          {},
          { ...state, slots: { grad_accum: nextAcc }, scalars: { grad_accum_step: step + 1 } },
        ];
      }
      const mean: Record<string, tf.Tensor> = tf.tidy(() =>
        Object.fromEntries(Object.entries(nextAcc).map(([n, t]) => [n, tf.div(t, k)])),
      );
      try {
        const [updates, innerState] = inner.update(mean, state.inner[''] ?? inner.init({}), params);
        const reset = tf.tidy(() =>
          Object.fromEntries(Object.entries(nextAcc).map(([n, t]) => [n, tf.zerosLike(t)])),
        );
        return [
          updates,
          {
            ...state,
            slots: { grad_accum: reset },
            scalars: { grad_accum_step: 0 },
            inner: { '': innerState },
          },
        ];
      } finally {
        tf.dispose(Object.values(mean));
        tf.dispose(Object.values(summed));
      }
    },
    evalParams: inner.evalParams
      ? (state, params) => inner.evalParams!(state.inner[''], params)
      : undefined,
  };
}
