import { Rng, type RngState, ValidationError } from '@kd/core';

export interface BatchSamplerOptions {
  /** Number of items. */
  size: number;
  batchSize: number;
  /** Shuffle each epoch (seeded). Default true. */
  shuffle?: boolean;
  /** Drop the last incomplete batch. Default false. */
  dropLast?: boolean;
  /** Seed of the sampler's own RNG stream (or pass `rng`). Default 0. */
  seed?: number | string;
  rng?: Rng;
  /**
   * Item lengths (tokens) to batch items of similar length together: items
   * are shuffled, cut into windows of `batchSize × bucketMultiplier`, sorted
   * by length inside each window, cut into batches, and the batch order is
   * shuffled (HF `group_by_length`). Padding per batch drops sharply.
   */
  lengths?: ArrayLike<number>;
  /** Window size for length bucketing, in batches. Default 50. */
  bucketMultiplier?: number;
}

/** Where a sampler is: JSON-serialisable, stored in trainer checkpoints. */
export interface SamplerState {
  epoch: number;
  /** Batches already taken from this epoch. */
  position: number;
  /** The base RNG stream; each epoch's order is derived from it and the epoch number. */
  rng: RngState;
}

/**
 * Seeded, resumable batches of item indices. An epoch's order depends only on
 * the base RNG state and the epoch number, so a run restored from `state()`
 * mid-epoch yields exactly the batches the original run would have.
 */
export class BatchSampler {
  readonly size: number;
  readonly batchSize: number;
  readonly #opts: Required<
    Pick<BatchSamplerOptions, 'shuffle' | 'dropLast' | 'bucketMultiplier'>
  > & { lengths?: ArrayLike<number> };
  #base: Rng;
  #epoch = 0;
  #position = 0;
  #cache: { epoch: number; batches: Int32Array[] } | undefined;

  constructor(options: BatchSamplerOptions) {
    const { size, batchSize } = options;
    if (!Number.isInteger(size) || size < 0)
      throw new ValidationError(`size must be a non-negative integer, got ${size}`);
    if (!Number.isInteger(batchSize) || batchSize <= 0)
      throw new ValidationError(`batchSize must be a positive integer, got ${batchSize}`);
    if (options.lengths && options.lengths.length !== size) {
      throw new ValidationError(`lengths has ${options.lengths.length} entries for ${size} items`);
    }
    this.size = size;
    this.batchSize = batchSize;
    this.#opts = {
      shuffle: options.shuffle ?? true,
      dropLast: options.dropLast ?? false,
      bucketMultiplier: options.bucketMultiplier ?? 50,
      lengths: options.lengths,
    };
    this.#base = options.rng ? Rng.fromState(options.rng.getState()) : new Rng(options.seed ?? 0);
  }

  get epoch(): number {
    return this.#epoch;
  }
  get position(): number {
    return this.#position;
  }

  /** Batches per epoch. */
  get batchesPerEpoch(): number {
    return this.#opts.dropLast
      ? Math.floor(this.size / this.batchSize)
      : Math.ceil(this.size / this.batchSize);
  }

  /** All batches of `epoch`, in order (pure: does not move the sampler). */
  epochBatches(epoch: number): Int32Array[] {
    if (this.#cache?.epoch === epoch) return this.#cache.batches;
    const rng = this.#base.fork(`epoch:${epoch}`);
    const n = this.size;
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    if (this.#opts.shuffle) shuffleInPlace(order, rng);
    const bs = this.batchSize;
    const lengths = this.#opts.lengths;
    let batches: Int32Array[] = [];
    if (lengths) {
      const window = bs * this.#opts.bucketMultiplier;
      for (let w = 0; w < n; w += window) {
        const chunk = Array.from(order.subarray(w, Math.min(n, w + window)));
        // Longest first inside a window; ties keep the shuffled order (stable sort).
        chunk.sort((a, b) => lengths[b] - lengths[a]);
        for (let b = 0; b < chunk.length; b += bs)
          batches.push(Int32Array.from(chunk.slice(b, b + bs)));
      }
      // Incomplete batches only occur at window ends; keep at most one (the last), as without buckets.
      const full = batches.filter((b) => b.length === bs);
      const partial = batches.filter((b) => b.length < bs);
      const rest =
        partial.length > 0 ? Int32Array.from(partial.flatMap((b) => Array.from(b))) : undefined;
      batches = full;
      if (rest) for (let b = 0; b < rest.length; b += bs) batches.push(rest.subarray(b, b + bs));
      if (this.#opts.shuffle) {
        const idx = Array.from(batches.keys());
        rng.shuffle(idx);
        batches = idx.map((i) => batches[i]);
      }
    } else {
      for (let b = 0; b < n; b += bs) batches.push(order.subarray(b, Math.min(n, b + bs)));
    }
    if (this.#opts.dropLast) batches = batches.filter((b) => b.length === bs);
    this.#cache = { epoch, batches };
    return batches;
  }

  /** The next batch, moving to the next epoch when this one is done. */
  next(): { indices: Int32Array; epoch: number; step: number } {
    if (this.batchesPerEpoch === 0)
      throw new ValidationError('no batches: the dataset is smaller than one batch with dropLast');
    let batches = this.epochBatches(this.#epoch);
    if (this.#position >= batches.length) {
      this.#epoch++;
      this.#position = 0;
      batches = this.epochBatches(this.#epoch);
    }
    const step = this.#position++;
    return { indices: batches[step], epoch: this.#epoch, step };
  }

  /** The remaining batches of the current epoch; afterwards the sampler points at the next epoch. */
  *remainingInEpoch(): Generator<{ indices: Int32Array; epoch: number; step: number }> {
    const epoch = this.#epoch;
    const batches = this.epochBatches(epoch);
    while (this.#position < batches.length) {
      const step = this.#position++;
      yield { indices: batches[step], epoch, step };
    }
    this.#epoch = epoch + 1;
    this.#position = 0;
  }

  state(): SamplerState {
    return { epoch: this.#epoch, position: this.#position, rng: this.#base.getState() };
  }

  setState(state: SamplerState): this {
    if (
      !state ||
      !Number.isInteger(state.epoch) ||
      !Number.isInteger(state.position) ||
      state.epoch < 0 ||
      state.position < 0
    ) {
      throw new ValidationError(
        'sampler state must be { epoch, position, rng } with non-negative integers',
      );
    }
    this.#base = Rng.fromState(state.rng);
    this.#epoch = state.epoch;
    this.#position = state.position;
    this.#cache = undefined;
    return this;
  }
}

/** Fisher–Yates on a typed array with kd's seeded RNG. */
export function shuffleInPlace(a: Int32Array | number[], rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}
