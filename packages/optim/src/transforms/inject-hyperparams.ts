import type { GradientTransformation, Params, ScalarOrSchedule, State, Updates } from '../types.js';
import { scheduleValue } from '../validate.js';

/**
 * Turns numeric options of any transform factory into schedules (optax
 * `inject_hyperparams`): every update evaluates each schedule at the step
 * count and builds the transform with those numbers, so
 * `injectHyperparams(adamw, { lr: warmupCosine(3e-4, …), weightDecay: 0.01 })`
 * schedules AdamW's learning rate. The current values are kept as
 * `hyperparams.<name>` (read them with `hyperparams(state)`), the count as
 * `hyperparams.count`; the inner state is saved without a prefix.
 *
 * The factory must build transforms whose state does not depend on the
 * numbers (true of everything in this package).
 */
export function injectHyperparams<O extends object>(
  factory: (options: O) => GradientTransformation,
  hyperparams: Readonly<Record<string, ScalarOrSchedule>>,
  fixed: Partial<O> = {},
): GradientTransformation {
  const valuesAt = (step: number) =>
    Object.fromEntries(
      Object.entries(hyperparams).map(([k, v]) => [k, scheduleValue(v, step, k)]),
    ) as Record<string, number>;
  const build = (values: Record<string, number>) => factory({ ...fixed, ...values } as O);
  const scalarsFor = (count: number, values: Record<string, number>) => ({
    'hyperparams.count': count,
    ...Object.fromEntries(Object.entries(values).map(([k, v]) => [`hyperparams.${k}`, v])),
  });
  const initial = build(valuesAt(0));

  return {
    name: initial.name,
    init(params: Params): State {
      return {
        slots: {},
        perParam: {},
        scalars: scalarsFor(0, valuesAt(0)),
        inner: { '': initial.init(params) },
      };
    },
    update(grads: Updates, state: State, params?: Params): [Updates, State] {
      const count = state.scalars['hyperparams.count'] ?? 0;
      const values = valuesAt(count);
      const t = build(values);
      const [updates, inner] = t.update(grads, state.inner[''] ?? t.init({}), params);
      return [updates, { ...state, scalars: scalarsFor(count + 1, values), inner: { '': inner } }];
    },
    evalParams: initial.evalParams
      ? (state, params) =>
          build(valuesAt(state.scalars['hyperparams.count'] ?? 0)).evalParams!(
            state.inner[''],
            params,
          )
      : undefined,
  };
}

/** The injected hyperparameters' current values found anywhere in a state (first occurrence wins). */
export function hyperparams(state: State): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(state.scalars)) {
    if (k.startsWith('hyperparams.') && k !== 'hyperparams.count') out[k.slice(12)] ??= v;
  }
  for (const inner of Object.values(state.inner)) {
    for (const [k, v] of Object.entries(hyperparams(inner))) out[k] ??= v;
  }
  return out;
}
