import type { Rng } from '@kd/core';

/**
 * Initialisers as in `torch_geometric.nn.inits` and `torch.nn.init`, drawn
 * from kd's seeded `Rng` so every backend starts from the same numbers.
 */

/** PyG `glorot`'s bound √(6 / (size(−2) + size(−1))). */
export function glorotBound(rows: number, cols: number): number {
  return Math.sqrt(6 / (rows + cols));
}

/** PyG `glorot`: U(−a, a) with a = √(6 / (size(−2) + size(−1))). */
export function glorot(shape: readonly number[], rng: Rng): Float32Array {
  const size = shape.reduce((a, d) => a * d, 1);
  const a = glorotBound(shape.at(-2) ?? 1, shape.at(-1) ?? 1);
  return rng.uniformArray(size, -a, a);
}

/**
 * torch.nn.Linear's default (`kaiming_uniform_(a=√5)` on a `[out, in]`
 * weight): U(−1/√in, 1/√in); its bias uses the same bound.
 */
export function kaimingUniform(shape: readonly number[], fanIn: number, rng: Rng): Float32Array {
  const size = shape.reduce((a, d) => a * d, 1);
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return rng.uniformArray(size, -bound, bound);
}

/** torch `xavier_uniform_` for a `[fanOut, fanIn, ...]` tensor (same bound as glorot on 2-D). */
export function xavierUniform(
  shape: readonly number[],
  fanIn: number,
  fanOut: number,
  rng: Rng,
  gain = 1,
): Float32Array {
  const size = shape.reduce((a, d) => a * d, 1);
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  return rng.uniformArray(size, -a, a);
}

export function zeros(shape: readonly number[]): Float32Array {
  return new Float32Array(shape.reduce((a, d) => a * d, 1));
}

/**
 * `{ ...defaults, ...options }` where options left `undefined` keep the
 * default (a spread would overwrite it with `undefined`).
 */
export function withDefaults<D extends object, O extends object>(defaults: D, options: O): D & O {
  const out = { ...defaults } as Record<string, unknown>;
  for (const [k, v] of Object.entries(options)) if (v !== undefined) out[k] = v;
  return out as D & O;
}
