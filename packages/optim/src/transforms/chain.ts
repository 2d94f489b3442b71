import * as tf from '@tensorflow/tfjs-core';
import { disposeRecord, EMPTY_STATE } from '../state.js';
import type { GradientTransformation, Params, State, Updates } from '../types.js';

/** A chain keeps its members so chains of chains flatten into one. */
export interface Chain extends GradientTransformation {
  readonly members: readonly GradientTransformation[];
}

function isChain(t: GradientTransformation): t is Chain {
  return Array.isArray((t as Partial<Chain>).members);
}

/** Unique state keys for the members: their names, `_1`, `_2`… on repeats. */
function memberKeys(members: readonly GradientTransformation[]): string[] {
  const seen = new Map<string, number>();
  return members.map((m) => {
    const n = seen.get(m.name) ?? 0;
    seen.set(m.name, n + 1);
    return n === 0 ? m.name : `${m.name}_${n}`;
  });
}

/**
 * Applies transforms one after the other (optax `chain`): each sees the
 * previous one's updates. Falsy members are skipped, so options can switch
 * parts on and off inline: `chain(clip && clipByGlobalNorm(clip), scaleByAdam(), …)`.
 * Each member's state is kept under its name (`adam`, `lr`).
 */
export function chain(
  ...transforms: readonly (GradientTransformation | null | undefined | false)[]
): Chain {
  const members: GradientTransformation[] = [];
  for (const t of transforms) {
    if (!t) continue;
    if (isChain(t)) members.push(...t.members);
    else members.push(t);
  }
  const keys = memberKeys(members);

  return {
    name: 'chain',
    members,

    init(params: Params): State {
      const inner: Record<string, State> = {};
      members.forEach((m, i) => {
        inner[keys[i]] = m.init(params);
      });
      return { ...EMPTY_STATE, inner };
    },

    update(grads: Updates, state: State, params?: Params): [Updates, State] {
      const inner: Record<string, State> = {};
      let current: Updates = grads;
      try {
        members.forEach((m, i) => {
          const [next, s] = m.update(current, state.inner[keys[i]] ?? m.init({}), params);
          // Intermediate updates belong to the chain: free them as soon as they are used.
          if (current !== grads) disposeRecord(current);
          current = next;
          inner[keys[i]] = s;
        });
      } catch (error) {
        if (current !== grads) disposeRecord(current);
        throw error;
      }
      return [current, { ...state, inner }];
    },

    evalParams(state: State, params: Params): Record<string, tf.Tensor> {
      // Later members see the parameters as the earlier ones would evaluate them.
      let out: Record<string, tf.Tensor> = {};
      members.forEach((m, i) => {
        if (!m.evalParams) return;
        const view = { ...params, ...out };
        const mine = m.evalParams(state.inner[keys[i]] ?? EMPTY_STATE, view);
        for (const [name, t] of Object.entries(mine)) {
          if (out[name] && out[name] !== t) out[name].dispose();
        }
        out = { ...out, ...mine };
      });
      return out;
    },
  };
}

/** Passes updates through unchanged (as new tensor objects the caller owns). */
export function identity(): GradientTransformation {
  return {
    name: 'identity',
    init: () => EMPTY_STATE,
    update: (grads, state) => [
      Object.fromEntries(Object.entries(grads).map(([k, t]) => [k, tf.clone(t)])),
      state,
    ],
  };
}

/** Gives a transform another name (the key its state is saved under in a chain). */
export function named<T extends GradientTransformation>(name: string, t: T): T {
  return { ...t, name };
}
