import type * as tf from '@tensorflow/tfjs-core';

/** Tensors by parameter name (a dotted path such as `encoder.layer.0.attention.self.query.weight`). */
export type Params = Readonly<Record<string, tf.Tensor>>;

/** Gradients going in, updates coming out: tensors by parameter name. */
export type Updates = Readonly<Record<string, tf.Tensor>>;

/**
 * A hyperparameter as a pure function of the number of updates already
 * applied (0 for the first update, as torch's `last_epoch` and optax's count).
 */
export type Schedule = (step: number) => number;

export type ScalarOrSchedule = number | Schedule;

/**
 * Optimiser state: plain data, keyed by parameter name and never by
 * position, so a reordered or changed set of parameters cannot pick up
 * another parameter's moments.
 *
 * - `slots[slot][param]`: tensors kept per parameter (`exp_avg`, `momentum_buffer`).
 * - `perParam[key][param]`: numbers kept per parameter (torch's per-parameter `step`).
 * - `scalars[key]`: numbers for the whole transform (a schedule's count, a running weight sum).
 * - `inner[key]`: states of wrapped transforms (chain members by name, groups by label).
 *
 * An inner key `''` is transparent (its entries are saved without a path
 * segment); a key starting with `~` is transparent for per-parameter entries
 * only (groups that split the parameters between them).
 */
export interface State {
  readonly slots: Readonly<Record<string, Readonly<Record<string, tf.Tensor>>>>;
  readonly perParam: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly scalars: Readonly<Record<string, number>>;
  readonly inner: Readonly<Record<string, State>>;
}

/**
 * The optax contract in TypeScript. `init` builds the state for a set of
 * parameters; `update` maps gradients (or the updates of the transform before
 * it in a chain) to updates and returns the next state.
 *
 * Ownership: `update` never disposes its inputs (gradients, state, params).
 * The updates it returns are new tensors the caller owns. The next state may
 * share tensors with the previous one; `releaseState(previous, next)`
 * disposes what the next state no longer holds (the `Optimizer` class does
 * all of this for you).
 *
 * A parameter that has a gradient but no state yet is initialised on the fly
 * (as torch does), and parameters without a gradient keep their state
 * untouched.
 */
export interface GradientTransformation {
  /** Short name that keys this transform's state in a chain (`adam`, `lr`). */
  readonly name: string;
  init(params: Params): State;
  update(updates: Updates, state: State, params?: Params): [Updates, State];
  /**
   * Weights to evaluate the model at where they differ from the trained ones
   * (schedule-free's x sequence, a parameter EMA): new tensors for the
   * parameters that differ, owned by the caller.
   */
  evalParams?(state: State, params: Params): Record<string, tf.Tensor>;
}
