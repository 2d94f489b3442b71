import type { RngState } from './rng.js';

/**
 * Raw tensor data as stored in a checkpoint: backend-free, so saving and
 * restoring never depends on which backend produced it.
 */
export interface StoredTensor {
  dtype: 'float32' | 'int32' | 'bool';
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

/** Everything needed to continue a run exactly where it stopped. */
export interface CheckpointState {
  step: number;
  /** Model (and projection, adapter…) parameters by dotted name. */
  params: Record<string, StoredTensor>;
  /** Optimizer tensors by `<param>/<slot>` and its JSON-able scalars. */
  optimizer?: { tensors: Record<string, StoredTensor>; scalars: Record<string, unknown> };
  /** Named RNG streams (data order, dropout, sampling). */
  rng?: Record<string, RngState>;
  /** The validated recipe, so a resume can refuse a changed one. */
  recipe?: unknown;
  /** Anything else the task needs: metric history, loss curves. */
  extra?: Record<string, unknown>;
}

/**
 * Where checkpoints go. Node uses a directory store (atomic rename) from
 * `@kd/core/node`; browsers and tests use `MemoryCheckpointStore`.
 */
export interface CheckpointStore {
  save(state: CheckpointState): Promise<void>;
  /** The newest checkpoint, or undefined when there is none. */
  latest(): Promise<CheckpointState | undefined>;
  /** Removes all checkpoints (a finished run that should not resume). */
  clear(): Promise<void>;
}

function cloneTensor(t: StoredTensor): StoredTensor {
  return { dtype: t.dtype, shape: [...t.shape], data: t.data.slice() };
}

function cloneState(s: CheckpointState): CheckpointState {
  const tensors = (m: Record<string, StoredTensor>) =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, cloneTensor(v)]));
  return {
    ...structuredClone({ ...s, params: {}, optimizer: undefined }),
    params: tensors(s.params),
    optimizer: s.optimizer && {
      tensors: tensors(s.optimizer.tensors),
      scalars: structuredClone(s.optimizer.scalars),
    },
  };
}

/** Keeps the newest checkpoint in memory (copied, so later mutation cannot reach it). */
export class MemoryCheckpointStore implements CheckpointStore {
  #latest: CheckpointState | undefined;
  async save(state: CheckpointState): Promise<void> {
    this.#latest = cloneState(state);
  }
  async latest(): Promise<CheckpointState | undefined> {
    return this.#latest && cloneState(this.#latest);
  }
  async clear(): Promise<void> {
    this.#latest = undefined;
  }
}
