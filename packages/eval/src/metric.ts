import { defineEntry, type EntryDefinition } from '@kd/core';
import type { z } from 'zod';
import { parseOptions } from './validate.js';

/**
 * Streams examples into a metric's sufficient statistics, like Hugging Face
 * `evaluate`'s `add` / `add_batch` / `compute`: memory grows with what the
 * metric needs (BLEU keeps 2 + 2N numbers, AUC keeps the scores), never
 * with the text.
 */
export interface Accumulator<Batch, Example, Result> {
  /** One example: `{ prediction, reference }` (HF names, singular). */
  add(example: Example): this;
  /** Many examples: `{ predictions, references }` (HF names, plural). */
  addBatch(batch: Batch): this;
  /** The metric over everything added so far (the accumulator stays usable). */
  compute(): Result;
  /** Forgets everything added. */
  reset(): this;
  /** Examples added so far. */
  readonly size: number;
}

/** What `registry.create('metric', id, options)` returns. */
export interface Metric<Batch, Example, Result> {
  readonly id: string;
  /** The validated options, defaults filled in. */
  readonly options: Readonly<Record<string, unknown>>;
  /** One-shot: the metric over a whole batch. */
  compute(batch: Batch): Result;
  /** A fresh streaming accumulator with these options. */
  accumulator(): Accumulator<Batch, Example, Result>;
}

export interface MetricSpec<S extends z.ZodType, Batch, Example, Result, State> {
  id: string;
  description: string;
  options: S;
  /** Empty sufficient statistics. */
  init(options: z.output<S>): State;
  /** Folds a batch into the state; validates the batch (throws typed errors). */
  update(state: State, batch: Batch, options: z.output<S>, where: string): number;
  /** Turns an example into a batch of one. */
  toBatch?(example: Example): Batch;
  /** The result from the state (does not consume it). */
  finalize(state: State, options: z.output<S>, where: string, size: number): Result;
}

export interface MetricDefinition<S extends z.ZodType, Batch, Example, Result> {
  readonly id: string;
  /** The registry entry `metric:<id>`. */
  readonly entry: EntryDefinition<S, Metric<Batch, Example, Result>>;
  /** Builds the metric directly (same validation as the registry). */
  create(options?: z.input<S>): Metric<Batch, Example, Result>;
}

const PLURAL: Record<string, string> = {
  prediction: 'predictions',
  reference: 'references',
  prediction_score: 'prediction_scores',
};

/** `{ prediction, reference, sample_weight }` → `{ predictions: [..], references: [..], sample_weight: [..] }`. */
export function exampleToBatch<Batch>(example: object): Batch {
  const out: Record<string, unknown[]> = {};
  for (const [k, v] of Object.entries(example)) out[PLURAL[k] ?? k] = [v];
  return out as Batch;
}

class StreamingAccumulator<S extends z.ZodType, Batch, Example, Result, State>
  implements Accumulator<Batch, Example, Result>
{
  #state: State;
  #size = 0;
  constructor(
    private readonly spec: MetricSpec<S, Batch, Example, Result, State>,
    private readonly opts: z.output<S>,
    private readonly where: string,
  ) {
    this.#state = spec.init(opts);
  }
  get size(): number {
    return this.#size;
  }
  add(example: Example): this {
    const batch = this.spec.toBatch
      ? this.spec.toBatch(example)
      : exampleToBatch<Batch>(example as object);
    return this.addBatch(batch);
  }
  addBatch(batch: Batch): this {
    this.#size += this.spec.update(this.#state, batch, this.opts, this.where);
    return this;
  }
  compute(): Result {
    return this.spec.finalize(this.#state, this.opts, this.where, this.#size);
  }
  reset(): this {
    this.#state = this.spec.init(this.opts);
    this.#size = 0;
    return this;
  }
}

/**
 * Builds a metric from its sufficient statistics: one definition gives the
 * registry entry, the one-shot `compute` and the streaming accumulator, so
 * the three can never disagree.
 */
export function defineMetric<S extends z.ZodType, Batch, Example, Result, State>(
  spec: MetricSpec<S, Batch, Example, Result, State>,
): MetricDefinition<S, Batch, Example, Result> {
  const where = `metric:${spec.id}`;
  const build = (opts: z.output<S>): Metric<Batch, Example, Result> => ({
    id: spec.id,
    options: Object.freeze({ ...(opts as object) }) as Readonly<Record<string, unknown>>,
    compute: (batch: Batch) => {
      const state = spec.init(opts);
      const size = spec.update(state, batch, opts, where);
      return spec.finalize(state, opts, where, size);
    },
    accumulator: () => new StreamingAccumulator(spec, opts, where),
  });
  const entry = defineEntry({
    kind: 'metric',
    id: spec.id,
    description: spec.description,
    options: spec.options,
    create: (opts: z.output<S>) => build(opts),
  });
  return {
    id: spec.id,
    entry,
    create: (options?: z.input<S>) => build(parseOptions(spec.options, options, where)),
  };
}
