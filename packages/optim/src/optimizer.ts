import {
  CheckpointError,
  DTypeError,
  FormatError,
  NotFoundError,
  NumericError,
  ShapeError,
  type StoredTensor,
  ValidationError,
} from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  disposeState,
  flattenState,
  keepState,
  mapState,
  releaseState,
  type StateEntry,
} from './state.js';
import { nonFiniteNames } from './transforms/apply-if-finite.js';
import { hyperparams } from './transforms/inject-hyperparams.js';
import type { GradientTransformation, Params, State } from './types.js';

/** An optimizer's state as @kd/core checkpoints store it (`CheckpointState.optimizer`). */
export interface OptimizerStateData {
  /** Per-parameter tensors keyed `<param>/<slot>` (`encoder.weight/adam.exp_avg`). */
  tensors: Record<string, StoredTensor>;
  /** Numbers: `<param>/<key>` per parameter, `<key>` for the whole transform, and `@meta`. */
  scalars: Record<string, unknown>;
}

export interface OptimizerOptions {
  /**
   * A gradient holding NaN or ±Infinity: `error` (default) throws a
   * NumericError naming the parameters before anything changes; `skip`
   * leaves parameters and state untouched and counts the step in
   * `skippedSteps`.
   */
  nonFinite?: 'error' | 'skip';
  /** What `getConfig()` reports (registry-built optimizers give `{ id, options }`). */
  config?: tf.serialization.ConfigDict;
}

export interface StepResult {
  /** The parameters changed (false while accumulating gradients or when a step was skipped). */
  applied: boolean;
  /** Set when the step was skipped: the parameters whose gradients were not finite. */
  nonFinite?: string[];
}

export interface ImportStateOptions {
  /**
   * Refuse state that does not match this optimizer exactly (default). With
   * `false`, parameters without saved state start fresh and saved state of
   * unknown parameters is dropped (torch's `strict=False`).
   */
  strict?: boolean;
}

export interface ImportReport {
  /** Keys this optimizer needs that the saved state lacks. */
  missing: string[];
  /** Saved keys this optimizer has no use for. */
  unexpected: string[];
}

/** tfjs' `{ name, tensor }` pair (not exported from the tfjs-core entry). */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

const META = '@meta';
const FORMAT = 1;
const NUMBER_PREFIX = '@n:';

function shapeText(shape: readonly number[]) {
  return `[${shape.join(', ')}]`;
}

function listSome(keys: readonly string[]): string {
  const shown = keys.slice(0, 5).map((k) => JSON.stringify(k));
  return keys.length > 5 ? `${shown.join(', ')} and ${keys.length - 5} more` : shown.join(', ');
}

/**
 * A gradient transformation with its state, behind the API training loops
 * use. `step(params, grads)` is the kd-native call (parameters by dotted
 * name); it is also a drop-in `tf.Optimizer`: `applyGradients`, `minimize`,
 * `computeGradients`, `getWeights`/`setWeights`, `dispose`. State is keyed
 * by parameter name and round-trips through @kd/core checkpoints with
 * `exportState()` / `importState()`.
 */
export class Optimizer extends tf.Optimizer {
  static className = 'KdOptimizer';

  readonly transform: GradientTransformation;
  readonly nonFinite: 'error' | 'skip';
  readonly #config: tf.serialization.ConfigDict;
  #state: State | undefined;
  #pending: { data: OptimizerStateData; strict: boolean } | undefined;
  #skipped = 0;

  constructor(transform: GradientTransformation, options: OptimizerOptions = {}) {
    super();
    const nonFinite = options.nonFinite ?? 'error';
    if (nonFinite !== 'error' && nonFinite !== 'skip') {
      throw new ValidationError(
        `nonFinite must be "error" or "skip", got ${JSON.stringify(nonFinite)}`,
      );
    }
    this.transform = transform;
    this.nonFinite = nonFinite;
    this.#config = options.config ?? {};
  }

  /** The transform's state (undefined before the first step). */
  get state(): State | undefined {
    return this.#state;
  }

  /** Steps skipped because a gradient was not finite (`nonFinite: 'skip'`). */
  get skippedSteps(): number {
    return this.#skipped;
  }

  /** Injected hyperparameters as the last step used them (`{ lr, … }`). */
  get hyperparams(): Record<string, number> {
    return this.#state ? hyperparams(this.#state) : {};
  }

  /** The learning rate the last step used (undefined before the first step). */
  get lr(): number | undefined {
    if (!this.#state) return undefined;
    return this.hyperparams.lr ?? findLearningRate(this.#state);
  }

  /**
   * One optimisation step: `grads` by parameter name (a subset of `params`;
   * parameters without a gradient keep their state). Returns whether the
   * parameters changed.
   */
  step(
    params: Readonly<Record<string, tf.Variable>>,
    grads: Readonly<Record<string, tf.Tensor>>,
  ): StepResult {
    const names = Object.keys(grads);
    for (const name of names) {
      const g = grads[name];
      const p = params[name];
      if (!p) {
        throw new NotFoundError(
          `got a gradient for "${name}", which is not among the ${Object.keys(params).length} parameters passed`,
          Object.keys(params),
          { where: name },
        );
      }
      if (!(g instanceof tf.Tensor)) {
        throw new ValidationError(`gradient must be a tf.Tensor, got ${typeof g}`, [], {
          where: name,
        });
      }
      if (g.isDisposed) throw new ValidationError('gradient was disposed', [], { where: name });
      if (g.dtype !== 'float32' || p.dtype !== 'float32') {
        throw new DTypeError(
          `expected float32 parameter and gradient, got ${p.dtype} and ${g.dtype}`,
          { where: name },
        );
      }
      if (g.shape.length !== p.shape.length || g.shape.some((d, i) => d !== p.shape[i])) {
        throw new ShapeError(
          `gradient has shape ${shapeText(g.shape)} but the parameter has ${shapeText(p.shape)}`,
          { where: name },
        );
      }
    }
    if (names.length === 0) return { applied: false };

    const bad = nonFiniteNames(grads);
    if (bad.length > 0) {
      if (this.nonFinite === 'error') {
        throw new NumericError(
          `gradient holds NaN or Infinity at step ${this.iterations + 1} (${bad.length} parameter${
            bad.length > 1 ? 's' : ''
          }: ${listSome(bad)}); nothing was changed. Pass nonFinite: 'skip' to skip such steps.`,
          { where: bad[0] },
        );
      }
      this.#skipped += 1;
      return { applied: false, nonFinite: bad };
    }

    const previous = this.#ensureState(params);
    let next: State | undefined;
    let applied = false;
    tf.tidy(() => {
      const [updates, state] = this.transform.update(grads, previous, params);
      const values = Object.entries(updates).map(([name, u]) => {
        const v = params[name];
        if (!v) {
          throw new NotFoundError(
            `the transform produced an update for unknown parameter "${name}"`,
          );
        }
        return [v, tf.add(v, u)] as const;
      });
      for (const [v, value] of values) v.assign(value);
      applied = values.length > 0;
      next = keepState(state);
    });
    releaseState(previous, next!);
    this.#state = next;
    this.incrementIterations();
    return { applied };
  }

  /** tf.Optimizer API: gradients keyed by registered tf.Variable name. */
  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const entries: [string, tf.Tensor | null | undefined][] = Array.isArray(variableGradients)
      ? variableGradients.map(({ name, tensor }) => [name, tensor])
      : Object.entries(variableGradients);
    const registered = tf.engine().registeredVariables;
    const vars: Record<string, tf.Variable> = {};
    const grads: Record<string, tf.Tensor> = {};
    for (const [name, g] of entries) {
      if (g == null) continue;
      const v = registered[name];
      if (!v) {
        throw new NotFoundError(`no tf.Variable named "${name}" is registered`, [], {
          where: name,
        });
      }
      vars[name] = v;
      grads[name] = g;
    }
    this.step(vars, grads);
  }

  /**
   * The weights to evaluate at, by name: new tensors the caller disposes
   * (the schedule-free x sequence or a parameter EMA where the transform
   * keeps one, copies of the parameters otherwise).
   */
  evalParams(params: Params): Record<string, tf.Tensor> {
    const changed =
      this.#state && this.transform.evalParams
        ? this.transform.evalParams(this.#state, params)
        : {};
    const out: Record<string, tf.Tensor> = {};
    for (const [name, p] of Object.entries(params)) out[name] = changed[name] ?? tf.clone(p);
    return out;
  }

  /**
   * Runs `fn` with the evaluation weights swapped into the variables and
   * restores the training weights afterwards (also when `fn` throws or its
   * promise rejects): torch schedule-free's `optimizer.eval()` … `.train()`.
   */
  withEvalParams<T>(params: Readonly<Record<string, tf.Variable>>, fn: () => T): T {
    if (!this.#state || !this.transform.evalParams) return fn();
    const evals = this.transform.evalParams(this.#state, params);
    const saved: [tf.Variable, tf.Tensor][] = [];
    for (const [name, value] of Object.entries(evals)) {
      const v = params[name];
      saved.push([v, tf.clone(v)]);
      v.assign(value);
      value.dispose();
    }
    const restore = () => {
      for (const [v, t] of saved) {
        v.assign(t);
        t.dispose();
      }
    };
    let result: T;
    try {
      result = fn();
    } catch (error) {
      restore();
      throw error;
    }
    if (result && typeof (result as { then?: unknown }).then === 'function') {
      return (result as unknown as Promise<unknown>).finally(restore) as T;
    }
    restore();
    return result;
  }

  /** Forgets all state (the next step starts fresh). */
  resetState(): void {
    if (this.#state) disposeState(this.#state);
    this.#state = undefined;
    this.#pending = undefined;
    this.iterations_ = 0;
    this.#skipped = 0;
  }

  /** The state as @kd/core checkpoints store it (a copy; the optimizer keeps its own). */
  async exportState(): Promise<OptimizerStateData> {
    const tensors: Record<string, StoredTensor> = {};
    const scalars: Record<string, unknown> = {
      [META]: { format: FORMAT, iterations: this.iterations, skippedSteps: this.#skipped },
    };
    if (!this.#state) {
      if (this.#pending) return structuredCloneData(this.#pending.data);
      return { tensors, scalars };
    }
    for (const e of uniqueEntries(flattenState(this.#state))) {
      if (e.field === 'slots') {
        const t = e.value as tf.Tensor;
        const data = (await t.data()) as Float32Array;
        tensors[e.key] = { dtype: 'float32', shape: [...t.shape], data: data.slice() };
      } else {
        scalars[e.key] = e.value;
      }
    }
    return { tensors, scalars };
  }

  /**
   * Restores state saved by `exportState()`. With `params` (or once a step
   * has run) it is checked and applied now; otherwise it is applied at the
   * first step, when the parameters are known. Returns what did not match
   * (always empty when strict, which throws instead), or undefined when
   * deferred.
   */
  importState(
    data: OptimizerStateData,
    { strict = true, params }: ImportStateOptions & { params?: Params } = {},
  ): ImportReport | undefined {
    if (
      !data ||
      typeof data !== 'object' ||
      typeof data.tensors !== 'object' ||
      typeof data.scalars !== 'object'
    ) {
      throw new FormatError('optimizer state must be { tensors: {...}, scalars: {...} }');
    }
    const meta = data.scalars[META] as { format?: unknown } | undefined;
    if (meta !== undefined && meta.format !== FORMAT) {
      throw new CheckpointError(
        `optimizer state has format ${String(meta.format)}; this @kd/optim reads format ${FORMAT}`,
      );
    }
    if (!this.#state && !params) {
      this.#pending = { data: structuredCloneData(data), strict };
      return undefined;
    }
    const template = this.#state ?? keepState(this.transform.init(params!));
    return this.#apply(template, data, strict);
  }

  #ensureState(params: Params): State {
    if (!this.#state) {
      const template = keepState(this.transform.init(params));
      if (this.#pending) {
        const { data, strict } = this.#pending;
        this.#pending = undefined;
        this.#apply(template, data, strict);
      } else {
        this.#state = template;
      }
    }
    return this.#state!;
  }

  #apply(template: State, data: OptimizerStateData, strict: boolean): ImportReport {
    const meta = (data.scalars[META] ?? {}) as { iterations?: number; skippedSteps?: number };
    const savedKeys = [
      ...Object.keys(data.tensors),
      ...Object.keys(data.scalars).filter((k) => k !== META),
    ];
    const used = new Set<string>();
    const missing: string[] = [];
    const created: tf.Tensor[] = [];
    let next: State;
    try {
      next = mapState(template, (e: StateEntry) => {
        if (e.field === 'slots') {
          const stored = data.tensors[e.key];
          if (!stored) {
            missing.push(e.key);
            return e.value;
          }
          const want = (e.value as tf.Tensor).shape;
          if (stored.shape.length !== want.length || stored.shape.some((d, i) => d !== want[i])) {
            throw new ShapeError(
              `saved optimizer state has shape ${shapeText(stored.shape)} but this parameter needs ${shapeText(want)}`,
              { where: e.key },
            );
          }
          if (stored.dtype !== 'float32') {
            throw new DTypeError(`saved optimizer state is ${stored.dtype}, expected float32`, {
              where: e.key,
            });
          }
          used.add(e.key);
          const t = tf.keep(tf.tensor(stored.data, [...stored.shape], 'float32'));
          created.push(t);
          return t;
        }
        const value = data.scalars[e.key];
        if (value === undefined) {
          missing.push(e.key);
          return e.value;
        }
        if (typeof value !== 'number') {
          throw new FormatError(`saved optimizer number is ${typeof value}`, { where: e.key });
        }
        used.add(e.key);
        return value;
      });
    } catch (error) {
      tf.dispose(created);
      throw error;
    }
    const unexpected = savedKeys.filter((k) => !used.has(k));
    const fresh = used.size === 0 && (meta.iterations ?? 0) === 0;
    if (strict && !fresh && (missing.length > 0 || unexpected.length > 0)) {
      tf.dispose(created);
      if (template !== this.#state) disposeState(template);
      const parts: string[] = [];
      if (missing.length > 0) parts.push(`missing ${listSome(missing)}`);
      if (unexpected.length > 0) parts.push(`unexpected ${listSome(unexpected)}`);
      throw new CheckpointError(
        `saved optimizer state does not match this optimizer and its parameters: ${parts.join('; ')}. ` +
          'A changed optimizer or parameter set cannot resume strictly; pass { strict: false } to ' +
          'start missing parameters fresh and drop the rest.',
      );
    }
    releaseState(template, next);
    this.#state = next;
    this.iterations_ = meta.iterations ?? 0;
    this.#skipped = meta.skippedSteps ?? 0;
    return { missing, unexpected };
  }

  /** tf.Optimizer API: the iteration count, then every state tensor and number (copies). */
  override async getWeights(): Promise<NamedTensor[]> {
    const data = await this.exportState();
    const out: NamedTensor[] = [await this.saveIterations()];
    for (const [name, t] of Object.entries(data.tensors)) {
      out.push({ name, tensor: tf.tensor(t.data, t.shape, 'float32') });
    }
    for (const [key, v] of Object.entries(data.scalars)) {
      if (typeof v === 'number') out.push({ name: `${NUMBER_PREFIX}${key}`, tensor: tf.scalar(v) });
    }
    return out;
  }

  /** tf.Optimizer API: restores what `getWeights()` returned. */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    const tensors: Record<string, StoredTensor> = {};
    const scalars: Record<string, unknown> = {
      [META]: { format: FORMAT, iterations: this.iterations, skippedSteps: this.#skipped },
    };
    for (const { name, tensor } of rest) {
      const data = (await tensor.data()) as Float32Array;
      if (name.startsWith(NUMBER_PREFIX)) scalars[name.slice(NUMBER_PREFIX.length)] = data[0];
      else tensors[name] = { dtype: 'float32', shape: [...tensor.shape], data: data.slice() };
    }
    this.importState({ tensors, scalars });
  }

  getConfig(): tf.serialization.ConfigDict {
    return this.#config;
  }

  override dispose(): void {
    this.resetState();
    super.dispose();
  }
}

function structuredCloneData(data: OptimizerStateData): OptimizerStateData {
  return {
    tensors: Object.fromEntries(
      Object.entries(data.tensors).map(([k, t]) => [
        k,
        { dtype: t.dtype, shape: [...t.shape], data: t.data.slice() },
      ]),
    ),
    scalars: structuredClone(data.scalars),
  };
}

function uniqueEntries(entries: StateEntry[]): StateEntry[] {
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.key)) {
      throw new CheckpointError(
        `two parts of the optimizer save under the same key "${e.key}"; give one of them another name with named()`,
      );
    }
    seen.add(e.key);
  }
  return entries;
}

/** The rate the first `scaleByLearningRate` in the state used last. */
function findLearningRate(state: State): number | undefined {
  for (const [key, inner] of Object.entries(state.inner)) {
    if (key === 'lr' && typeof inner.scalars.value === 'number') return inner.scalars.value;
    const found = findLearningRate(inner);
    if (found !== undefined) return found;
  }
  return undefined;
}
