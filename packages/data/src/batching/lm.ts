import { Rng, type RngState, ValidationError } from '@kd/core';

/** Inputs and next-token targets, row-major `[batchSize, blockSize]`. */
export interface LmBatch {
  batchSize: number;
  blockSize: number;
  inputIds: Int32Array;
  /** `inputIds` shifted left by one position in the corpus. */
  targets: Int32Array;
}

/**
 * Random contiguous windows of a token stream (nanoGPT's `get_batch`): each
 * row starts at a seeded uniform offset. Resumable through `state()`.
 */
export class LmWindowSampler {
  readonly #ids: Int32Array;
  readonly blockSize: number;
  readonly batchSize: number;
  #rng: Rng;

  constructor(
    ids: Int32Array,
    options: { blockSize: number; batchSize: number; seed?: number | string; rng?: Rng },
  ) {
    if (ids.length < options.blockSize + 1) {
      throw new ValidationError(
        `the corpus has ${ids.length} tokens; blockSize ${options.blockSize} needs at least ${options.blockSize + 1}`,
      );
    }
    this.#ids = ids;
    this.blockSize = options.blockSize;
    this.batchSize = options.batchSize;
    this.#rng = options.rng ? Rng.fromState(options.rng.getState()) : new Rng(options.seed ?? 0);
  }

  next(): LmBatch {
    const { blockSize: t, batchSize: b } = this;
    const inputIds = new Int32Array(b * t);
    const targets = new Int32Array(b * t);
    const maxStart = this.#ids.length - t - 1;
    for (let r = 0; r < b; r++) {
      const s = this.#rng.int(maxStart + 1);
      inputIds.set(this.#ids.subarray(s, s + t), r * t);
      targets.set(this.#ids.subarray(s + 1, s + t + 1), r * t);
    }
    return { batchSize: b, blockSize: t, inputIds, targets };
  }

  state(): { rng: RngState } {
    return { rng: this.#rng.getState() };
  }
  setState(state: { rng: RngState }): this {
    this.#rng = Rng.fromState(state.rng);
    return this;
  }
}

/**
 * Non-overlapping windows in corpus order, for evaluation (perplexity over the
 * whole split): the last batch may be smaller; a tail shorter than one block is
 * dropped, as PyTorch's word_language_model `batchify` does.
 */
export function* lmSequentialBatches(
  ids: Int32Array,
  options: { blockSize: number; batchSize: number },
): Generator<LmBatch> {
  const { blockSize: t, batchSize } = options;
  const blocks = Math.floor((ids.length - 1) / t);
  for (let first = 0; first < blocks; first += batchSize) {
    const b = Math.min(batchSize, blocks - first);
    const inputIds = new Int32Array(b * t);
    const targets = new Int32Array(b * t);
    for (let r = 0; r < b; r++) {
      const s = (first + r) * t;
      inputIds.set(ids.subarray(s, s + t), r * t);
      targets.set(ids.subarray(s + 1, s + t + 1), r * t);
    }
    yield { batchSize: b, blockSize: t, inputIds, targets };
  }
}
