import { AbortedError, ShapeError, ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { type CausalLanguageModel, disposeCache, type KVCache } from '../models/decoder.js';
import { createSampler, type Sampler, type SamplingOptions } from './sampling.js';

export interface GenerateOptions extends SamplingOptions {
  /** How many tokens to add after the prompt. */
  maxNewTokens: number;
  /** Stop a row when it produces one of these (the token is kept). */
  stopTokens?: readonly number[];
  /**
   * Reuse keys/values of earlier positions (default true). Without the
   * cache every step reruns the whole sequence; the logits agree.
   */
  useCache?: boolean;
  /**
   * Replaces temperature/topK/topP/seed: one sampler shared by all rows (called
   * row by row, in order) or one per row.
   */
  sampler?: Sampler | readonly Sampler[];
  /** Called after each step with the tokens just chosen (one per row). */
  onToken?: (tokens: number[], step: number) => void;
  signal?: AbortSignal;
}

export interface GenerateResult {
  /** Prompt and generated tokens per row. */
  sequences: number[][];
  /** Only the generated tokens per row (stopping tokens included). */
  generated: number[][];
}

/**
 * Autoregressive generation from a decoder language model: the prompt
 * (equal-length rows, no padding) runs in one pass, then one token per step
 * with a KV cache. Greedy when `temperature` is 0 (the default); otherwise
 * Hugging Face's temperature → top-k → top-p sampling from a seeded `Rng`
 * (see `createSampler`), or any `sampler`, e.g. `llama2cSampler` to
 * reproduce llama2.c. Rows that hit a stop token stop growing; the loop ends
 * when all have. The model is used as it is (call `eval()` first for
 * deterministic output).
 */
export async function generate(
  model: CausalLanguageModel,
  prompt: readonly number[] | readonly (readonly number[])[],
  options: GenerateOptions,
): Promise<GenerateResult> {
  const rows: number[][] = (Array.isArray(prompt[0]) ? prompt : [prompt]).map((r) => [
    ...(r as number[]),
  ]);
  const t0 = rows[0]?.length ?? 0;
  if (t0 === 0 || rows.some((r) => r.length !== t0)) {
    throw new ShapeError(
      'prompts must be non-empty and of equal length (start from BOS; pad-free batches only)',
      { where: 'generate' },
    );
  }
  const { maxNewTokens } = options;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) {
    throw new ValidationError(`maxNewTokens must be an integer ≥ 0, got ${maxNewTokens}`, [], {
      where: 'generate',
    });
  }
  if (t0 + maxNewTokens > model.maxPositions + 1) {
    throw new ValidationError(
      `prompt (${t0}) + maxNewTokens (${maxNewTokens}) needs ${t0 + maxNewTokens - 1} positions; the model has ${model.maxPositions}`,
      [],
      { where: 'generate' },
    );
  }
  const given = options.sampler;
  if (Array.isArray(given) && given.length !== rows.length) {
    throw new ValidationError(`got ${given.length} samplers for ${rows.length} rows`, [], {
      where: 'generate',
    });
  }
  // Without a sampler, row i draws from its own stream (seed + i, or rng.fork).
  const samplers: Sampler[] = rows.map((_, i) =>
    given
      ? Array.isArray(given)
        ? given[i]
        : (given as Sampler)
      : createSampler({
          ...options,
          rng: options.rng?.fork(`row:${i}`),
          seed: (options.seed ?? 0) + i,
        }),
  );
  const stop = new Set(options.stopTokens ?? []);
  const useCache = options.useCache ?? true;
  const done = rows.map(() => false);
  const generated: number[][] = rows.map(() => []);
  let cache: KVCache | undefined;
  let fed = 0;
  try {
    for (let step = 0; step < maxNewTokens; step++) {
      if (options.signal?.aborted) throw new AbortedError('generation stopped on request');
      const input = useCache ? rows.map((r) => r.slice(fed)) : rows;
      const { last, next } = tf.tidy(() => {
        const out = model.forward({ inputIds: input, cache, useCache });
        const [b, t, v] = out.logits.shape;
        const lastLogits = tf.slice(out.logits, [0, t - 1, 0], [b, 1, v]).reshape([b, v]);
        return { last: lastLogits, next: out.cache };
      });
      disposeCache(cache);
      cache = next;
      fed = rows[0].length;
      const data = (await last.data()) as Float32Array;
      last.dispose();
      const v = data.length / rows.length;
      const chosen: number[] = [];
      rows.forEach((r, i) => {
        const token = done[i] ? r[r.length - 1] : samplers[i](data.subarray(i * v, (i + 1) * v));
        chosen.push(token);
        r.push(token);
        if (!done[i]) {
          generated[i].push(token);
          if (stop.has(token)) done[i] = true;
        }
      });
      options.onToken?.(chosen, step);
      if (done.every(Boolean)) break;
    }
  } finally {
    disposeCache(cache);
  }
  // Rows that stopped early kept repeating their last token to stay aligned.
  const sequences = rows.map((r, i) => r.slice(0, t0 + generated[i].length));
  return { sequences, generated };
}
