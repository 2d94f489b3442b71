import { ValidationError } from '@kd/core';
import type * as tf from '@tensorflow/tfjs-core';
import { EMPTY_STATE } from '../state.js';
import type { GradientTransformation, Params, State, Updates } from '../types.js';

/**
 * Parameter groups (optax `partition` / `multi_transform`, torch
 * `param_groups`): `label(name)` assigns every parameter to one of
 * `transforms`, and each group runs its own transform on its own
 * parameters. Every group is updated on every step (with no gradients when
 * none of its parameters has one) so their schedules stay in step.
 *
 * Per-parameter state is saved without the group label (a parameter is in
 * one group only); each group's transform-wide numbers are saved under it.
 */
export function partition(
  transforms: Readonly<Record<string, GradientTransformation>>,
  label: (name: string) => string,
): GradientTransformation {
  const labels = Object.keys(transforms);
  for (const l of labels) {
    if (!l || /[./~]/.test(l)) {
      throw new ValidationError(
        `group label ${JSON.stringify(l)} must be non-empty without ".", "/" or "~"`,
      );
    }
  }
  function split<T>(record: Readonly<Record<string, T>>): Record<string, Record<string, T>> {
    const out: Record<string, Record<string, T>> = Object.fromEntries(labels.map((l) => [l, {}]));
    for (const [name, value] of Object.entries(record)) {
      const l = label(name);
      if (!out[l]) {
        throw new ValidationError(
          `parameter was put in group ${JSON.stringify(l)}, but the groups are ${labels.join(', ')}`,
          [],
          { where: name },
        );
      }
      out[l][name] = value;
    }
    return out;
  }
  return {
    name: 'groups',
    init(params: Params): State {
      const parts = split(params);
      return {
        ...EMPTY_STATE,
        inner: Object.fromEntries(labels.map((l) => [`~${l}`, transforms[l].init(parts[l])])),
      };
    },
    update(grads: Updates, state: State, params?: Params): [Updates, State] {
      const parts = split(grads);
      const paramParts = params && split(params);
      let updates: Record<string, tf.Tensor> = {};
      const inner: Record<string, State> = {};
      for (const l of labels) {
        const t = transforms[l];
        const [u, s] = t.update(parts[l], state.inner[`~${l}`] ?? t.init({}), paramParts?.[l]);
        updates = { ...updates, ...u };
        inner[`~${l}`] = s;
      }
      return [updates, { ...state, inner }];
    },
    evalParams(state: State, params: Params) {
      const parts = split(params);
      let out: Record<string, tf.Tensor> = {};
      for (const l of labels) {
        const t = transforms[l];
        if (t.evalParams)
          out = { ...out, ...t.evalParams(state.inner[`~${l}`] ?? EMPTY_STATE, parts[l]) };
      }
      return out;
    },
  };
}
