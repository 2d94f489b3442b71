// Plain-JS float64 reference implementations of every layer, written from
// the formulas (torch / Hugging Face / llama2.c), independent of src/. Arrays
// are row-major; a "matrix" is { data, rows, cols }.
import { Rng } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';

export type Arr = Float64Array;

export function randn(rng: Rng, n: number, std = 1): Arr {
  return Float64Array.from(rng.normalArray(n, 0, std));
}

export function toF64(t: tf.Tensor): Arr {
  return Float64Array.from(t.dataSync() as Float32Array);
}

/** Max |a − b| / (1 + |b|) over all entries. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  return m;
}

/** y[n, out] = x[n, in] · W[out, in]ᵀ + b. */
export function linear(x: Arr, n: number, w: Arr, out: number, inp: number, b?: Arr): Arr {
  const y = new Float64Array(n * out);
  for (let r = 0; r < n; r++) {
    for (let o = 0; o < out; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < inp; i++) s += x[r * inp + i] * w[o * inp + i];
      y[r * out + o] = s;
    }
  }
  return y;
}

/** y[n, out] = x[n, in] · W[in, out] + b (GPT-2 Conv1D). */
export function conv1d(x: Arr, n: number, w: Arr, inp: number, out: number, b: Arr): Arr {
  const y = new Float64Array(n * out);
  for (let r = 0; r < n; r++) {
    for (let o = 0; o < out; o++) {
      let s = b[o];
      for (let i = 0; i < inp; i++) s += x[r * inp + i] * w[i * out + o];
      y[r * out + o] = s;
    }
  }
  return y;
}

export function layerNorm(
  x: Arr,
  n: number,
  d: number,
  w: Arr,
  b: Arr | undefined,
  eps: number,
): Arr {
  const y = new Float64Array(n * d);
  for (let r = 0; r < n; r++) {
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x[r * d + i];
    mean /= d;
    let v = 0;
    for (let i = 0; i < d; i++) v += (x[r * d + i] - mean) ** 2;
    v /= d;
    for (let i = 0; i < d; i++) {
      y[r * d + i] = ((x[r * d + i] - mean) / Math.sqrt(v + eps)) * w[i] + (b ? b[i] : 0);
    }
  }
  return y;
}

export function rmsNorm(x: Arr, n: number, d: number, w: Arr, eps: number): Arr {
  const y = new Float64Array(n * d);
  for (let r = 0; r < n; r++) {
    let ss = 0;
    for (let i = 0; i < d; i++) ss += x[r * d + i] ** 2;
    const s = 1 / Math.sqrt(ss / d + eps);
    for (let i = 0; i < d; i++) y[r * d + i] = w[i] * (x[r * d + i] * s);
  }
  return y;
}

/** erf to ~1e-13: Maclaurin series below 3, Lentz continued fraction for erfc above. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(−x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …))))
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

export const act: Record<string, (x: number) => number> = {
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  gelu_new: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  silu: (x) => x / (1 + Math.exp(-x)),
  relu: (x) => Math.max(0, x),
  quick_gelu: (x) => x / (1 + Math.exp(-1.702 * x)),
};

export function map(x: Arr, f: (v: number) => number): Arr {
  return x.map(f);
}

export function add(a: Arr, b: Arr): Arr {
  return a.map((v, i) => v + b[i]);
}

/**
 * Multi-head attention on already-projected q [B, T, H·dh], k, v
 * [B, S, Hkv·dh] (head h uses kv head ⌊h/(H/Hkv)⌋), with `visible(b, i, j)`
 * deciding which keys a query sees. Returns context [B, T, H·dh], and the
 * probabilities [B, H, T, S].
 */
export function attention(
  q: Arr,
  k: Arr,
  v: Arr,
  dims: { b: number; t: number; s: number; h: number; hkv: number; dh: number },
  visible: (b: number, i: number, j: number) => boolean,
): { ctx: Arr; probs: Arr; scores: Arr } {
  const { b, t, s, h, hkv, dh } = dims;
  const ctx = new Float64Array(b * t * h * dh);
  const probs = new Float64Array(b * h * t * s);
  const scores = new Float64Array(b * h * t * s);
  const rep = h / hkv;
  for (let bb = 0; bb < b; bb++) {
    for (let hh = 0; hh < h; hh++) {
      const kh = Math.floor(hh / rep);
      for (let i = 0; i < t; i++) {
        const row = new Float64Array(s);
        let max = Number.NEGATIVE_INFINITY;
        for (let j = 0; j < s; j++) {
          let dot = 0;
          for (let e = 0; e < dh; e++) {
            dot +=
              q[(bb * t + i) * h * dh + hh * dh + e] * k[(bb * s + j) * hkv * dh + kh * dh + e];
          }
          row[j] = dot / Math.sqrt(dh) + (visible(bb, i, j) ? 0 : -10000);
          scores[((bb * h + hh) * t + i) * s + j] = row[j];
          max = Math.max(max, row[j]);
        }
        let sum = 0;
        for (let j = 0; j < s; j++) {
          row[j] = Math.exp(row[j] - max);
          sum += row[j];
        }
        for (let j = 0; j < s; j++) {
          const p = row[j] / sum;
          probs[((bb * h + hh) * t + i) * s + j] = p;
          for (let e = 0; e < dh; e++) {
            ctx[(bb * t + i) * h * dh + hh * dh + e] +=
              p * v[(bb * s + j) * hkv * dh + kh * dh + e];
          }
        }
      }
    }
  }
  return { ctx, probs, scores };
}

/**
 * Hugging Face Llama's rotary embedding on x [B, T, H·dh] at positions
 * pos[t]: dims j and j + dh/2 rotate by pos · θ^(−2j/dh).
 */
export function rope(
  x: Arr,
  b: number,
  t: number,
  h: number,
  dh: number,
  pos: number[],
  theta = 10000,
): Arr {
  const y = new Float64Array(x.length);
  const half = dh / 2;
  for (let bb = 0; bb < b; bb++) {
    for (let i = 0; i < t; i++) {
      for (let hh = 0; hh < h; hh++) {
        const o = (bb * t + i) * h * dh + hh * dh;
        for (let j = 0; j < half; j++) {
          const a = pos[i] * theta ** ((-2 * j) / dh);
          const x1 = x[o + j];
          const x2 = x[o + j + half];
          y[o + j] = x1 * Math.cos(a) - x2 * Math.sin(a);
          y[o + j + half] = x2 * Math.cos(a) + x1 * Math.sin(a);
        }
      }
    }
  }
  return y;
}

/** Parameters of a module as float64 arrays by dotted name. */
export function params(m: { stateDict(): Record<string, tf.Tensor> }): Record<string, Arr> {
  return Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, toF64(v)]));
}

/** Deterministic small int ids in [lo, hi). */
export function randomIds(seed: number, b: number, t: number, hi: number, lo = 0): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: b }, () => Array.from({ length: t }, () => lo + rng.int(hi - lo)));
}

/** `tf.tidy` typed for any result (tests return plain arrays from it). */
export function tidy<T>(f: () => T): T {
  return tf.tidy(f as () => tf.TensorContainer) as T;
}
