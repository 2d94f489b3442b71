import { BatchSampler, type BatchSamplerOptions, type SamplerState } from './sampler.js';

export interface DataLoaderOptions<T, B> extends Omit<BatchSamplerOptions, 'size' | 'lengths'> {
  /** Builds a batch from the items and their dataset indices. */
  collate: (items: readonly T[], indices: Int32Array) => B;
  /** Length of an item, to bucket by length (e.g. `(e) => e.ids.length`). */
  lengthOf?: (item: T) => number;
}

/**
 * Seeded, resumable batches over an in-memory dataset (PyTorch's `DataLoader`
 * with a `BatchSampler`, optionally length-bucketed). `state()` is plain JSON:
 * a trainer stores it in its checkpoint and `setState` resumes mid-epoch with
 * the same batches.
 */
export class DataLoader<T, B> {
  readonly items: readonly T[];
  readonly sampler: BatchSampler;
  readonly #collate: (items: readonly T[], indices: Int32Array) => B;

  constructor(items: readonly T[], options: DataLoaderOptions<T, B>) {
    this.items = items;
    this.#collate = options.collate;
    const lengths = options.lengthOf ? Int32Array.from(items, options.lengthOf) : undefined;
    this.sampler = new BatchSampler({ ...options, size: items.length, lengths });
  }

  get batchesPerEpoch(): number {
    return this.sampler.batchesPerEpoch;
  }

  /** The next batch (crossing into the next epoch when needed), for step-based training loops. */
  next(): { batch: B; epoch: number; step: number } {
    const { indices, epoch, step } = this.sampler.next();
    return { batch: this.#collate(this.items, indices), epoch, step };
  }

  /** The rest of the current epoch: `for (const { batch } of loader.epoch()) …`. */
  *epoch(): Generator<{ batch: B; epoch: number; step: number }> {
    for (const { indices, epoch, step } of this.sampler.remainingInEpoch()) {
      yield { batch: this.#collate(this.items, indices), epoch, step };
    }
  }

  state(): SamplerState {
    return this.sampler.state();
  }

  setState(state: SamplerState): this {
    this.sampler.setState(state);
    return this;
  }
}
