import { describeValue, NumericError, ShapeError, ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { defineMetric } from './metric.js';
import { arrayLength, assertNonEmpty, parseOptions } from './validate.js';

/**
 * Perplexity as HF evaluate defines it: per text, exp of the mean negative
 * log-likelihood of its scored tokens (masked positions excluded); the
 * result's `mean_perplexity` is the arithmetic mean of those per-text values,
 * and `corpus_perplexity` pools every token: exp(total NLL / total tokens).
 */

export const perplexityOptionsSchema = z
  .object({
    /** Base of the given log-probabilities: 'e' (natural, the default) or a number such as 2. */
    log_base: z.union([z.literal('e'), z.number().positive()]).default('e'),
  })
  .strict();
export type PerplexityOptions = z.input<typeof perplexityOptionsSchema>;

export interface PerplexityResult {
  perplexities: number[];
  mean_perplexity: number;
  corpus_perplexity: number;
  /** Scored (unmasked) tokens over all texts. */
  num_tokens: number;
}

export interface PerplexityBatch {
  /** Per text, the log-probability of each token given the ones before it. */
  token_logprobs?: readonly (readonly number[] | Float32Array | Float64Array)[];
  /** Per text, the next-token logits `[tokens][vocab]`, scored against `targets`. */
  logits?: readonly (readonly (readonly number[] | Float32Array)[])[];
  /** Per text, the token id each row of `logits` predicts. */
  targets?: readonly (readonly number[])[];
  /** Per text, 1 for scored positions and 0 for padding (same length as the scored tokens). */
  attention_mask?: readonly (readonly number[])[];
}

class PerplexityState {
  perplexities: number[] = [];
  nll = 0;
  tokens = 0;
  constructor(readonly lnBase: number) {}

  /** Adds one text from its per-token NLL (natural log) and mask. */
  addText(
    nll: ArrayLike<number>,
    mask: ArrayLike<number> | undefined,
    i: number,
    where: string,
  ): void {
    let sum = 0;
    let count = 0;
    for (let t = 0; t < nll.length; t++) {
      const m = mask ? mask[t] : 1;
      if (m !== 0 && m !== 1) {
        throw new ValidationError(
          `attention_mask[${i}][${t}] is ${describeValue(m)}; expected 0 or 1`,
          [],
          { where },
        );
      }
      if (m === 0) continue;
      const v = nll[t];
      if (!Number.isFinite(v)) {
        throw new NumericError(
          `text ${i}, token ${t}: negative log-likelihood is ${v}; expected a finite number`,
          { where },
        );
      }
      sum += v;
      count++;
    }
    if (count === 0) {
      throw new ValidationError(`text ${i} has no scored tokens; its perplexity is undefined`, [], {
        where,
      });
    }
    this.perplexities.push(Math.exp(sum / count));
    this.nll += sum;
    this.tokens += count;
  }

  add(batch: PerplexityBatch, where: string): number {
    const masks = batch?.attention_mask;
    if (batch?.token_logprobs !== undefined) {
      const n = arrayLength(batch.token_logprobs, 'token_logprobs', where);
      if (masks !== undefined && arrayLength(masks, 'attention_mask', where) !== n) {
        throw new ShapeError(`attention_mask has ${masks.length} rows for ${n} texts`, { where });
      }
      for (let i = 0; i < n; i++) {
        const lp = batch.token_logprobs[i];
        const len = arrayLength(lp, `token_logprobs[${i}]`, where);
        const mask = masks?.[i];
        if (mask !== undefined && arrayLength(mask, `attention_mask[${i}]`, where) !== len) {
          throw new ShapeError(
            `attention_mask[${i}] has ${mask.length} entries for ${len} tokens`,
            { where },
          );
        }
        const nll = new Float64Array(len);
        for (let t = 0; t < len; t++) {
          const v = lp[t];
          if (typeof v !== 'number' || Number.isNaN(v)) {
            throw new NumericError(
              `token_logprobs[${i}][${t}] is ${describeValue(v)}; expected a number`,
              { where },
            );
          }
          if (v > 1e-6) {
            throw new ValidationError(
              `token_logprobs[${i}][${t}] is ${v} > 0: pass log-probabilities (<= 0), not negative log-likelihoods`,
              [],
              { where },
            );
          }
          nll[t] = -v * this.lnBase;
        }
        this.addText(nll, mask, i, where);
      }
      return n;
    }
    if (batch?.logits !== undefined) {
      const n = arrayLength(batch.logits, 'logits', where);
      if (arrayLength(batch.targets, 'targets', where) !== n) {
        throw new ShapeError(`targets has ${batch.targets?.length} rows for ${n} texts`, { where });
      }
      for (let i = 0; i < n; i++) {
        const rows = batch.logits[i];
        const targets = batch.targets![i];
        const len = arrayLength(rows, `logits[${i}]`, where);
        if (arrayLength(targets, `targets[${i}]`, where) !== len) {
          throw new ShapeError(`targets[${i}] has ${targets.length} ids for ${len} logit rows`, {
            where,
          });
        }
        const nll = new Float64Array(len);
        for (let t = 0; t < len; t++)
          nll[t] = crossEntropy(rows[t], targets[t], `logits[${i}][${t}]`, where);
        this.addText(nll, masks?.[i], i, where);
      }
      return n;
    }
    throw new ValidationError('perplexity needs token_logprobs, or logits with targets', [], {
      where,
    });
  }

  result(where: string): PerplexityResult {
    assertNonEmpty(this.perplexities.length, 'texts', where);
    let s = 0;
    for (const p of this.perplexities) s += p;
    return {
      perplexities: [...this.perplexities],
      mean_perplexity: s / this.perplexities.length,
      corpus_perplexity: Math.exp(this.nll / this.tokens),
      num_tokens: this.tokens,
    };
  }
}

/** -log softmax(logits)[target] in float64 (logsumexp with the max shifted out). */
export function crossEntropy(
  logits: ArrayLike<number>,
  target: number,
  name: string,
  where: string,
): number {
  const v = logits.length;
  if (!Number.isInteger(target) || target < 0 || target >= v) {
    throw new ValidationError(
      `${name}: target id ${target} is outside the vocabulary [0, ${v})`,
      [],
      { where },
    );
  }
  let max = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < v; k++) {
    const x = logits[k];
    if (Number.isNaN(x)) throw new NumericError(`${name}[${k}] is NaN`, { where });
    if (x > max) max = x;
  }
  if (!Number.isFinite(max))
    throw new NumericError(`${name}: logits are not finite (max ${max})`, { where });
  let s = 0;
  for (let k = 0; k < v; k++) s += Math.exp(logits[k] - max);
  return max + Math.log(s) - logits[target];
}

function lnBase(o: z.output<typeof perplexityOptionsSchema>): number {
  return o.log_base === 'e' ? 1 : Math.log(o.log_base);
}

/** Perplexity from per-token log-probabilities (or logits with targets). */
export function perplexity(
  batch: PerplexityBatch,
  options: PerplexityOptions = {},
): PerplexityResult {
  const where = 'perplexity';
  const o = parseOptions(perplexityOptionsSchema, options, where);
  const s = new PerplexityState(lnBase(o));
  s.add(batch, where);
  return s.result(where);
}

/** A causal LM: token ids `[batch][time]` → next-token logits `[batch][time][vocab]`. */
export type CausalLM = (
  ids: number[][],
) => tf.Tensor | number[][][] | Promise<tf.Tensor | number[][][]>;

export const modelPerplexityOptionsSchema = z
  .object({
    /** Prepend `bos_token_id` so the first token is scored too (HF default). */
    add_start_token: z.boolean().default(true),
    bos_token_id: z.number().int().nonnegative().optional(),
    /** Texts per model call. */
    batch_size: z.number().int().positive().default(16),
    /** Id used to right-pad a batch (masked out of the loss). */
    pad_token_id: z.number().int().nonnegative().default(0),
  })
  .strict();
export type ModelPerplexityOptions = z.input<typeof modelPerplexityOptionsSchema>;

/**
 * Perplexity of token-id texts under a causal LM, HF evaluate's procedure:
 * optional BOS, batches right-padded and masked, logits shifted so token t is
 * scored from tokens < t. A tensor of logits is reduced in float32 inside
 * `tf.tidy` (log-sum-exp minus the target logit) and summed in float64.
 */
export async function perplexityFromModel(
  model: CausalLM,
  inputIds: readonly (readonly number[])[],
  options: ModelPerplexityOptions & { attention_mask?: readonly (readonly number[])[] } = {},
): Promise<PerplexityResult> {
  const where = 'perplexityFromModel';
  const { attention_mask, ...rest } = options;
  const o = parseOptions(modelPerplexityOptionsSchema, rest, where);
  if (typeof model !== 'function')
    throw new ValidationError('model must be a function (ids) => logits', [], { where });
  const n = arrayLength(inputIds, 'input_ids', where);
  assertNonEmpty(n, 'input_ids', where);
  if (o.add_start_token && o.bos_token_id === undefined) {
    throw new ValidationError(
      'add_start_token needs bos_token_id (or pass add_start_token: false)',
      [],
      { where },
    );
  }
  const state = new PerplexityState(1);
  for (let start = 0; start < n; start += o.batch_size) {
    const texts: number[][] = [];
    const masks: number[][] = [];
    for (let i = start; i < Math.min(n, start + o.batch_size); i++) {
      const ids = [...inputIds[i]];
      const mask = attention_mask?.[i] ? [...attention_mask[i]] : ids.map(() => 1);
      if (mask.length !== ids.length)
        throw new ShapeError(
          `attention_mask[${i}] has ${mask.length} entries for ${ids.length} tokens`,
          { where },
        );
      if (o.add_start_token) {
        ids.unshift(o.bos_token_id!);
        mask.unshift(1);
      }
      if (ids.length < 2) {
        throw new ValidationError(
          `text ${i} has ${ids.length} token(s); at least one token must be predicted from a previous one`,
          [],
          { where },
        );
      }
      texts.push(ids);
      masks.push(mask);
    }
    const T = Math.max(...texts.map((t) => t.length));
    const padded = texts.map((t) => [
      ...t,
      ...new Array<number>(T - t.length).fill(o.pad_token_id),
    ]);
    const out = await model(padded);
    const nll = await shiftedNll(out, padded, where);
    for (let b = 0; b < texts.length; b++) {
      const len = texts[b].length;
      // Position t (0-based) of the shifted view scores token t+1.
      const rowNll = nll[b].slice(0, len - 1);
      state.addText(rowNll, masks[b].slice(1), start + b, where);
    }
  }
  return state.result(where);
}

/** NLL of token t+1 given the logits at position t, for every row. */
async function shiftedNll(
  out: tf.Tensor | number[][][],
  ids: number[][],
  where: string,
): Promise<Float64Array[]> {
  const B = ids.length;
  const T = ids[0].length;
  if (out instanceof tf.Tensor) {
    try {
      if (out.rank !== 3 || out.shape[0] !== B || out.shape[1] !== T) {
        throw new ShapeError(
          `model returned logits of shape [${out.shape.join(', ')}], expected [${B}, ${T}, vocab]`,
          { where },
        );
      }
      const V = out.shape[2]!;
      for (const row of ids)
        for (const id of row) {
          if (id < 0 || id >= V)
            throw new ValidationError(
              `token id ${id} is outside the model's vocabulary [0, ${V})`,
              [],
              { where },
            );
        }
      const nllT = tf.tidy(() => {
        const logits = tf.slice(out as tf.Tensor3D, [0, 0, 0], [B, T - 1, V]);
        const targets = tf.tensor2d(
          ids.map((r) => r.slice(1)),
          [B, T - 1],
          'int32',
        );
        const picked = tf.gather(logits, targets, 2, 2);
        return tf.sub(tf.logSumExp(logits, 2), picked);
      });
      const data = await nllT.data();
      nllT.dispose();
      return Array.from({ length: B }, (_, b) =>
        Float64Array.from(data.subarray(b * (T - 1), (b + 1) * (T - 1))),
      );
    } finally {
      out.dispose();
    }
  }
  if (!Array.isArray(out) || out.length !== B) {
    throw new ShapeError(
      `model returned ${describeValue(out)}; expected logits [${B}][${T}][vocab]`,
      { where },
    );
  }
  return out.map((rows, b) => {
    if (!Array.isArray(rows) || rows.length !== T) {
      throw new ShapeError(
        `model logits row ${b} has ${describeValue(rows)} positions, expected ${T}`,
        { where },
      );
    }
    const nll = new Float64Array(T - 1);
    for (let t = 0; t < T - 1; t++)
      nll[t] = crossEntropy(rows[t], ids[b][t + 1], `logits[${b}][${t}]`, where);
    return nll;
  });
}

/** `metric:perplexity` — from per-token log-probabilities (or logits + targets). */
export const perplexityMetric = defineMetric({
  id: 'perplexity',
  description:
    'Perplexity (per text, mean, and pooled corpus) from token log-probabilities, as HF evaluate',
  options: perplexityOptionsSchema,
  init: (o) => new PerplexityState(lnBase(o)),
  update: (s, b: PerplexityBatch, _o, where) => s.add(b, where),
  toBatch: (e: {
    token_logprobs?: readonly number[];
    attention_mask?: readonly number[];
  }): PerplexityBatch => ({
    ...(e.token_logprobs ? { token_logprobs: [e.token_logprobs] } : {}),
    ...(e.attention_mask ? { attention_mask: [e.attention_mask] } : {}),
  }),
  finalize: (s, _o, where) => s.result(where),
});
