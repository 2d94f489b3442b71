import { Rng, ValidationError } from '@kd/core';

/** Picks the next token from one row of logits (length V). */
export type Sampler = (logits: Float32Array) => number;

/** Index of the largest value; the first one on ties (torch.argmax, llama2.c). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

export interface SamplingOptions {
  /** 0 (default) is greedy; otherwise logits are divided by it. */
  temperature?: number;
  /** Keep only the k most likely tokens (0 or undefined: off). Ties with the k-th are kept. */
  topK?: number;
  /** Keep the smallest most-likely set with probability ≥ p (1 or undefined: off). */
  topP?: number;
  /** Seed of the sampling stream (default 0); ignored when `rng` is given. */
  seed?: number;
  rng?: Rng;
}

/**
 * Hugging Face's sampling pipeline (`generate(do_sample=True)`): temperature,
 * then top-k (`TopKLogitsWarper`: logits below the k-th largest removed),
 * then top-p (`TopPLogitsWarper`: sorted ascending, tokens whose cumulative
 * probability is ≤ 1 − p removed, the most likely always kept), then a draw
 * from the renormalised distribution with kd's seeded `Rng`. Computed in
 * float64. Temperature 0 is greedy.
 */
export function createSampler(options: SamplingOptions = {}): Sampler {
  const temperature = options.temperature ?? 0;
  const topK = options.topK ?? 0;
  const topP = options.topP ?? 1;
  if (!(temperature >= 0) || !Number.isFinite(temperature)) {
    throw new ValidationError(`temperature must be ≥ 0, got ${temperature}`, [], {
      where: 'sampling',
    });
  }
  if (!Number.isInteger(topK) || topK < 0) {
    throw new ValidationError(`topK must be an integer ≥ 0, got ${topK}`, [], {
      where: 'sampling',
    });
  }
  if (!(topP > 0 && topP <= 1)) {
    throw new ValidationError(`topP must be in (0, 1], got ${topP}`, [], { where: 'sampling' });
  }
  if (temperature === 0) return (logits) => argmax(logits);
  const rng = options.rng ?? new Rng(options.seed ?? 0);
  return (logits) => {
    const n = logits.length;
    const scaled = new Float64Array(n);
    for (let i = 0; i < n; i++) scaled[i] = logits[i] / temperature;
    const keep = new Uint8Array(n).fill(1);
    if (topK > 0 && topK < n) {
      const kth = [...scaled].sort((a, b) => b - a)[topK - 1];
      for (let i = 0; i < n; i++) if (scaled[i] < kth) keep[i] = 0;
    }
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) if (keep[i] && scaled[i] > max) max = scaled[i];
    const probs = new Float64Array(n);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      probs[i] = keep[i] ? Math.exp(scaled[i] - max) : 0;
      sum += probs[i];
    }
    for (let i = 0; i < n; i++) probs[i] /= sum;
    if (topP < 1) {
      // Ascending by probability; the stable sort keeps index order on ties.
      const order = Array.from({ length: n }, (_, i) => i)
        .filter((i) => keep[i])
        .sort((a, b) => probs[a] - probs[b]);
      let cum = 0;
      for (let r = 0; r < order.length - 1; r++) {
        cum += probs[order[r]];
        if (cum <= 1 - topP) keep[order[r]] = 0;
      }
      sum = 0;
      for (let i = 0; i < n; i++) {
        if (!keep[i]) probs[i] = 0;
        sum += probs[i];
      }
      for (let i = 0; i < n; i++) probs[i] /= sum;
    }
    const u = rng.uniform();
    let cdf = 0;
    let last = 0;
    for (let i = 0; i < n; i++) {
      if (probs[i] === 0) continue;
      last = i;
      cdf += probs[i];
      if (u < cdf) return i;
    }
    return last;
  };
}

/**
 * llama2.c's sampler (`run.c` `sample`), bit for bit: float32 softmax,
 * its xorshift64* generator (`random_f32`), `sample_mult`, and
 * `sample_topp` with its cutoff `(1 − p)/(V − 1)` and descending sort. Use
 * it to reproduce llama2.c's sampled outputs for a given `-s` seed.
 */
export function llama2cSampler(options: {
  temperature: number;
  topp?: number;
  seed: number;
}): Sampler {
  const f = Math.fround;
  const temperature = f(options.temperature);
  const topp = f(options.topp ?? 1);
  let state = BigInt.asUintN(64, BigInt(options.seed));
  const M = 0x2545f4914f6cdd1dn;
  const randomU32 = (): number => {
    state ^= state >> 12n;
    state = BigInt.asUintN(64, state ^ (state << 25n));
    state ^= state >> 27n;
    return Number(BigInt.asUintN(64, state * M) >> 32n);
  };
  const randomF32 = () => f((randomU32() >>> 8) / 16777216);
  return (logits) => {
    const n = logits.length;
    if (temperature === 0) return argmax(logits);
    const p = new Float32Array(n);
    for (let i = 0; i < n; i++) p[i] = f(logits[i] / temperature);
    let max = p[0];
    for (let i = 1; i < n; i++) if (p[i] > max) max = p[i];
    let sum = 0;
    for (let i = 0; i < n; i++) {
      p[i] = f(Math.exp(f(p[i] - max)));
      sum = f(sum + p[i]);
    }
    for (let i = 0; i < n; i++) p[i] = f(p[i] / sum);
    const coin = randomF32();
    if (topp <= 0 || topp >= 1) {
      let cdf = 0;
      for (let i = 0; i < n; i++) {
        cdf = f(cdf + p[i]);
        if (coin < cdf) return i;
      }
      return n - 1;
    }
    const cutoff = f(f(1 - topp) / (n - 1));
    const idx: number[] = [];
    for (let i = 0; i < n; i++) if (p[i] >= cutoff) idx.push(i);
    idx.sort((a, b) => p[b] - p[a]);
    let cum = 0;
    let last = idx.length - 1;
    for (let i = 0; i < idx.length; i++) {
      cum = f(cum + p[idx[i]]);
      if (cum > topp) {
        last = i;
        break;
      }
    }
    const r = f(coin * cum);
    let cdf = 0;
    for (let i = 0; i <= last; i++) {
      cdf = f(cdf + p[idx[i]]);
      if (r < cdf) return idx[i];
    }
    return idx[last];
  };
}
