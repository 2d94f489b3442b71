import * as tf from '@tensorflow/tfjs-core';
import type { State } from './types.js';

/** The state of a transform that keeps nothing. */
export const EMPTY_STATE: State = Object.freeze({
  slots: Object.freeze({}),
  perParam: Object.freeze({}),
  scalars: Object.freeze({}),
  inner: Object.freeze({}),
});

export function makeState(parts: Partial<State>): State {
  return {
    slots: parts.slots ?? {},
    perParam: parts.perParam ?? {},
    scalars: parts.scalars ?? {},
    inner: parts.inner ?? {},
  };
}

/** Every tensor a state holds, its inner states' included. */
export function stateTensors(state: State, into = new Set<tf.Tensor>()): Set<tf.Tensor> {
  for (const byParam of Object.values(state.slots)) {
    for (const t of Object.values(byParam)) into.add(t);
  }
  for (const inner of Object.values(state.inner)) stateTensors(inner, into);
  return into;
}

/** Disposes the tensors of `previous` that `next` no longer holds. */
export function releaseState(previous: State, next: State): void {
  const kept = stateTensors(next);
  for (const t of stateTensors(previous)) if (!kept.has(t) && !t.isDisposed) t.dispose();
}

export function disposeState(state: State): void {
  for (const t of stateTensors(state)) if (!t.isDisposed) t.dispose();
}

/** One saved value of a state, with the key it is stored under. */
export interface StateEntry {
  /**
   * `<param>/<path>` for per-parameter tensors and numbers, `<path>` for the
   * transform-wide numbers (parameter names may contain `/`, paths never do).
   */
  key: string;
  field: 'slots' | 'perParam' | 'scalars';
  /** Inner keys from the root to the state that holds the value. */
  innerPath: readonly string[];
  /** Slot or number name inside that state. */
  name: string;
  param?: string;
  value: tf.Tensor | number;
}

function pathFor(innerPath: readonly string[], name: string, perParameter: boolean): string {
  const parts: string[] = [];
  for (const k of innerPath) {
    if (k === '') continue;
    if (k.startsWith('~')) {
      if (!perParameter) parts.push(k.slice(1));
      continue;
    }
    parts.push(k);
  }
  parts.push(name);
  return parts.join('.');
}

/** The state as a flat list of keyed values (what checkpoints store). */
export function flattenState(state: State): StateEntry[] {
  const out: StateEntry[] = [];
  mapState(state, (entry) => {
    out.push(entry);
    return entry.value;
  });
  return out;
}

/** A state of the same structure with every value replaced by `fn(entry)`. */
export function mapState(
  state: State,
  fn: (entry: StateEntry) => tf.Tensor | number,
  innerPath: readonly string[] = [],
): State {
  const perParameter = <T>(
    field: 'slots' | 'perParam',
    record: Readonly<Record<string, Readonly<Record<string, T>>>>,
  ) => {
    const out: Record<string, Record<string, T>> = {};
    for (const [name, byParam] of Object.entries(record)) {
      const path = pathFor(innerPath, name, true);
      out[name] = {};
      for (const [param, value] of Object.entries(byParam)) {
        const key = `${param}/${path}`;
        out[name][param] = fn({
          key,
          field,
          innerPath,
          name,
          param,
          value: value as tf.Tensor | number,
        }) as T;
      }
    }
    return out;
  };
  const slots = perParameter('slots', state.slots);
  const perParam = perParameter('perParam', state.perParam);
  const scalars: Record<string, number> = {};
  for (const [name, value] of Object.entries(state.scalars)) {
    const key = pathFor(innerPath, name, false);
    scalars[name] = fn({ key, field: 'scalars', innerPath, name, value }) as number;
  }
  const inner: Record<string, State> = {};
  for (const [k, s] of Object.entries(state.inner)) inner[k] = mapState(s, fn, [...innerPath, k]);
  return { slots, perParam, scalars, inner };
}

/** Disposes every tensor of a record that `keep` does not hold. */
export function disposeRecord(
  record: Readonly<Record<string, tf.Tensor>>,
  keep?: Readonly<Record<string, tf.Tensor>>,
): void {
  const kept = new Set(keep ? Object.values(keep) : []);
  for (const t of Object.values(record)) if (!kept.has(t) && !t.isDisposed) t.dispose();
}

/** `tf.keep` on every tensor of a state (so an enclosing `tf.tidy` leaves them alone). */
export function keepState(state: State): State {
  for (const t of stateTensors(state)) tf.keep(t);
  return state;
}
