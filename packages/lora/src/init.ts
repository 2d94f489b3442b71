import { type Rng, ValidationError } from '@kd/core';
import type { LoraConfig } from './config.js';
import {
  columns,
  type Matrix,
  matmul,
  matrix,
  qr,
  rowsOf,
  svd,
  svdLowRank,
} from './math/linalg.js';

/** Initial factors of a linear adapter, row-major: `a` is `[r, in]`, `b` is `[out, r]`. */
export interface LinearInit {
  a: Float32Array;
  b: Float32Array;
  /** For PiSSA and OLoRA, the base weight `[out, in]` that remains (the residual). */
  residual?: Float32Array;
}

/**
 * PEFT's `reset_lora_parameters` and initialisers for one linear adapter of
 * rank `r` on a weight `[out, in]`, drawn from `rng`:
 *
 * - `true`: A ~ U(−1/√in, 1/√in) (`kaiming_uniform_(a=√5)`), B = 0;
 * - `'gaussian'`: A ~ N(0, 1/r), B = 0;
 * - `false`: A and B keep `nn.Linear`'s default, U(±1/√in) and U(±1/√r);
 * - `'pissa'`: `W = U S Vh`; with the top r triplets and `S_r ← S_r / s`,
 *   A = diag(√S_r)·Vh_r, B = U_r·diag(√S_r), residual `W − s·B·A`;
 *   `'pissa_niter_<n>'` uses the randomized SVD with n power iterations;
 * - `'olora'`: `Q, R = qr(W)`, B = Q[:, :r], A = R[:r], residual `W − s·B·A`.
 */
export function initLinear(
  init: LoraConfig['initLoraWeights'],
  shape: { out: number; in: number; r: number; scaling: number },
  rng: Rng,
  weight?: () => Float32Array,
): LinearInit {
  const { out, r } = shape;
  const inF = shape.in;
  if (init === true || init === false || init === 'gaussian') {
    const boundA = 1 / Math.sqrt(inF);
    const a =
      init === 'gaussian'
        ? rng.normalArray(r * inF, 0, 1 / r)
        : rng.uniformArray(r * inF, -boundA, boundA);
    const b =
      init === false
        ? rng.uniformArray(out * r, -1 / Math.sqrt(r), 1 / Math.sqrt(r))
        : new Float32Array(out * r);
    return { a, b };
  }
  if (!weight) throw new ValidationError(`init "${init}" needs the base weight`);
  const w = matrix(out, inF, weight());
  if (r > Math.min(out, inF)) {
    throw new ValidationError(
      `${init} needs r ≤ min(out, in) = ${Math.min(out, inF)}, got r = ${r}`,
      [{ path: 'r', message: `too large for a ${out}×${inF} weight` }],
    );
  }
  let aM: Matrix;
  let bM: Matrix;
  if (init === 'olora') {
    const { q, r: rr } = qr(w);
    bM = columns(q, 0, r);
    aM = rowsOf(rr, 0, r);
  } else {
    const niter = /^pissa_niter_(\d+)$/.exec(init);
    const dec = niter ? svdLowRank(w, r, Number(niter[1]), rng) : svd(w);
    const root = Array.from({ length: r }, (_, k) => Math.sqrt(dec.s[k] / shape.scaling));
    aM = matrix(r, inF);
    for (let k = 0; k < r; k++) {
      for (let j = 0; j < inF; j++)
        aM.data[k * inF + j] = root[k] * dec.vh.data[k * dec.vh.cols + j];
    }
    bM = matrix(out, r);
    for (let i = 0; i < out; i++) {
      for (let k = 0; k < r; k++) bM.data[i * r + k] = dec.u.data[i * dec.u.cols + k] * root[k];
    }
  }
  // Round the factors to float32 first, so the residual is W − s·B·A of the
  // factors the adapter actually holds (PEFT does this in float32 too).
  const a = Float32Array.from(aM.data);
  const b = Float32Array.from(bM.data);
  const ba = matmul(matrix(out, r, b), matrix(r, inF, a));
  const residual = new Float32Array(out * inF);
  for (let i = 0; i < residual.length; i++) residual[i] = w.data[i] - shape.scaling * ba.data[i];
  return { a, b, residual };
}

/**
 * Embedding adapters (PEFT's `Embedding.update_layer`): `lora_embedding_A`
 * `[r, num]` and `lora_embedding_B` `[dim, r]`. Default: A = 0, B ~ N(0, 1);
 * `false`: both N(0, 1); `'gaussian'` is PEFT's default for embeddings too.
 */
export function initEmbedding(
  init: LoraConfig['initLoraWeights'],
  shape: { num: number; dim: number; r: number },
  rng: Rng,
): { a: Float32Array; b: Float32Array } {
  if (typeof init === 'string' && init !== 'gaussian') {
    throw new ValidationError(`init "${init}" is not defined for embedding adapters`, [
      { path: 'initLoraWeights', message: 'embedding layers take true, false or "gaussian"' },
    ]);
  }
  const { num, dim, r } = shape;
  const a = init === false ? rng.normalArray(r * num) : new Float32Array(r * num);
  const b = rng.normalArray(dim * r);
  return { a, b };
}
