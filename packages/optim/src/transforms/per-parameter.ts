import { ShapeError, ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import type { GradientTransformation, Params, State, Updates } from '../types.js';

/** How one slot of a parameter's state starts. */
export interface SlotSpec {
  shape: readonly number[];
  /** `zeros` (default), a fill value, or a copy of the parameter. */
  init?: 'zeros' | 'param' | number;
}

export interface ParamStep<Ctx> {
  g: tf.Tensor;
  slots: Readonly<Record<string, tf.Tensor>>;
  numbers: Readonly<Record<string, number>>;
  /** The parameter's current value (given whenever the caller passed params). */
  param: tf.Tensor | undefined;
  name: string;
  ctx: Ctx;
}

export interface ParamResult {
  update: tf.Tensor;
  /** Slots that changed (the others carry over). */
  slots?: Record<string, tf.Tensor>;
  numbers?: Record<string, number>;
}

/**
 * A transform that treats each parameter on its own (every optimiser rule
 * here). The builder does the bookkeeping the rules should not repeat:
 * state keyed by name, lazy initialisation of parameters seen for the first
 * time, shape checks against existing state, `tf.tidy`, and never returning
 * an input or state tensor as an update.
 */
export interface PerParameterSpec<Ctx = undefined> {
  name: string;
  /** The rule reads parameter values (weight decay, trust ratio, EMA). */
  needsParams?: boolean;
  /** Slots kept for a parameter of this shape. */
  slots?(shape: readonly number[]): Record<string, SlotSpec>;
  /** Numbers kept per parameter, with their initial values (torch's `step`). */
  numbers?: Readonly<Record<string, number>>;
  /** Numbers kept for the whole transform, with their initial values. */
  scalars?: Readonly<Record<string, number>>;
  /** Once per update, before the parameters: a context for `apply` and the next transform-wide numbers. */
  prepare?(scalars: Readonly<Record<string, number>>): {
    ctx: Ctx;
    scalars: Record<string, number>;
  };
  /** One parameter's update; runs inside `tf.tidy`. */
  apply(step: ParamStep<Ctx>): ParamResult;
  /** The value to evaluate this parameter at, when it differs from the trained one. */
  evalParam?(step: Omit<ParamStep<undefined>, 'g' | 'ctx'> & { param: tf.Tensor }): tf.Tensor;
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function initSlot(spec: SlotSpec, param: tf.Tensor | undefined, where: string): tf.Tensor {
  const init = spec.init ?? 'zeros';
  if (init === 'zeros') return tf.zeros(spec.shape as number[], 'float32');
  if (typeof init === 'number') return tf.fill(spec.shape as number[], init, 'float32');
  if (!param) {
    throw new ValidationError('this transform starts from the parameter values: pass params', [], {
      where,
    });
  }
  return tf.clone(param);
}

export function perParameter<Ctx = undefined>(spec: PerParameterSpec<Ctx>): GradientTransformation {
  const slotSpecs = (shape: readonly number[]) => spec.slots?.(shape) ?? {};

  function initParam(
    name: string,
    like: tf.Tensor,
    param: tf.Tensor | undefined,
  ): { slots: Record<string, tf.Tensor>; numbers: Record<string, number> } {
    const slots: Record<string, tf.Tensor> = {};
    for (const [slot, s] of Object.entries(slotSpecs(like.shape))) {
      slots[slot] = initSlot(s, param, `${spec.name} state of "${name}"`);
    }
    return { slots, numbers: { ...spec.numbers } };
  }

  function current(state: State, name: string) {
    const slots: Record<string, tf.Tensor> = {};
    for (const [slot, byParam] of Object.entries(state.slots)) {
      const t = byParam[name];
      if (t) slots[slot] = t;
    }
    const numbers: Record<string, number> = {};
    for (const [key, byParam] of Object.entries(state.perParam)) {
      const v = byParam[name];
      if (v !== undefined) numbers[key] = v;
    }
    return { slots, numbers };
  }

  return {
    name: spec.name,

    init(params: Params): State {
      const slots: Record<string, Record<string, tf.Tensor>> = {};
      const perParam: Record<string, Record<string, number>> = {};
      for (const [name, p] of Object.entries(params)) {
        const s = initParam(name, p, p);
        for (const [slot, t] of Object.entries(s.slots)) (slots[slot] ??= {})[name] = t;
        for (const [key, v] of Object.entries(s.numbers)) (perParam[key] ??= {})[name] = v;
      }
      return { slots, perParam, scalars: { ...spec.scalars }, inner: {} };
    },

    update(grads: Updates, state: State, params?: Params): [Updates, State] {
      const names = Object.keys(grads);
      // Check everything before computing anything, so a bad call changes nothing.
      for (const name of names) {
        const g = grads[name];
        const p = params?.[name];
        if (spec.needsParams && !p) {
          throw new ValidationError(
            `${spec.name} needs the parameter values: call update(grads, state, params) with "${name}" in params`,
            [],
            { where: name },
          );
        }
        if (p && !sameShape(p.shape, g.shape)) {
          throw new ShapeError(
            `gradient has shape ${shapeText(g.shape)} but the parameter has ${shapeText(p.shape)}`,
            { where: name },
          );
        }
        const expected = slotSpecs(g.shape);
        for (const [slot, byParam] of Object.entries(state.slots)) {
          const t = byParam[name];
          const want = expected[slot];
          if (t && want && !sameShape(t.shape, want.shape)) {
            throw new ShapeError(
              `${spec.name} state "${slot}" has shape ${shapeText(t.shape)} but a gradient of shape ` +
                `${shapeText(g.shape)} needs ${shapeText(want.shape)}: a different variable now has this name ` +
                '(reset the optimizer state or rename the parameter)',
              { where: name },
            );
          }
        }
      }

      const prepared = spec.prepare
        ? spec.prepare(state.scalars)
        : { ctx: undefined as Ctx, scalars: { ...state.scalars } };

      const computed = tf.tidy(() => {
        const updates: Record<string, tf.Tensor> = {};
        const slots: Record<string, Record<string, tf.Tensor>> = {};
        const numbers: Record<string, Record<string, number>> = {};
        for (const name of names) {
          const g = grads[name];
          const param = params?.[name];
          const have = current(state, name);
          // Slots this parameter lacks (first sight, or a slot a newer option needs) start fresh.
          const s = { ...have.slots };
          for (const [slot, sp] of Object.entries(slotSpecs(g.shape))) {
            s[slot] ??= initSlot(sp, param, `${spec.name} state of "${name}"`);
          }
          const n = { ...spec.numbers, ...have.numbers };
          const r = spec.apply({ g, slots: s, numbers: n, param, name, ctx: prepared.ctx });
          const nextSlots = { ...s, ...r.slots };
          let u = r.update;
          if (u === g || u === param || Object.values(nextSlots).includes(u)) u = tf.clone(u);
          updates[name] = u;
          slots[name] = nextSlots;
          numbers[name] = { ...n, ...r.numbers };
        }
        return { updates, slots, numbers } as unknown as tf.TensorContainer;
      }) as unknown as {
        updates: Record<string, tf.Tensor>;
        slots: Record<string, Record<string, tf.Tensor>>;
        numbers: Record<string, Record<string, number>>;
      };

      const nextSlots: Record<string, Record<string, tf.Tensor>> = {};
      for (const [slot, byParam] of Object.entries(state.slots)) nextSlots[slot] = { ...byParam };
      for (const [name, s] of Object.entries(computed.slots)) {
        for (const [slot, t] of Object.entries(s)) (nextSlots[slot] ??= {})[name] = t;
      }
      const nextNumbers: Record<string, Record<string, number>> = {};
      for (const [key, byParam] of Object.entries(state.perParam))
        nextNumbers[key] = { ...byParam };
      for (const [name, n] of Object.entries(computed.numbers)) {
        for (const [key, v] of Object.entries(n)) (nextNumbers[key] ??= {})[name] = v;
      }
      return [
        computed.updates,
        { slots: nextSlots, perParam: nextNumbers, scalars: prepared.scalars, inner: state.inner },
      ];
    },

    evalParams: spec.evalParam
      ? (state: State, params: Params) => {
          const evalParam = spec.evalParam!;
          return tf.tidy(() => {
            const out: Record<string, tf.Tensor> = {};
            for (const [name, param] of Object.entries(params)) {
              const have = current(state, name);
              if (Object.keys(have.slots).length === 0) continue;
              out[name] = evalParam({ slots: have.slots, numbers: have.numbers, param, name });
            }
            return out;
          });
        }
      : undefined,
  };
}
