import { ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';

/**
 * Rotary position embedding as Hugging Face Llama applies it: for head size
 * dh, dimension j < dh/2 is paired with j + dh/2 and rotated by angle
 * `pos · θ^(−2j/dh)` (`rotate_half`). llama2.c and Meta checkpoints pair
 * adjacent dimensions instead (2j, 2j+1) with the same angles; their q/k
 * weights are permuted on load (`permuteForRotateHalf`), exactly as
 * Hugging Face's conversion script does, so both give the same numbers.
 *
 * The cos/sin tables are computed in float32 steps like llama2.c
 * (`1/powf(θ, j/dh)`, `pos·freq`, `cosf`).
 */
export class RotaryEmbedding extends Module {
  readonly #cos: tf.Tensor2D;
  readonly #sin: tf.Tensor2D;

  constructor(
    readonly headDim: number,
    readonly maxPositions: number,
    readonly theta = 10000,
  ) {
    super();
    if (headDim % 2 !== 0) {
      throw new ValidationError(`rotary head size must be even, got ${headDim}`);
    }
    const half = headDim / 2;
    const cos = new Float32Array(maxPositions * headDim);
    const sin = new Float32Array(maxPositions * headDim);
    for (let j = 0; j < half; j++) {
      const freq = Math.fround(1 / Math.fround(theta ** Math.fround((2 * j) / headDim)));
      for (let p = 0; p < maxPositions; p++) {
        const angle = Math.fround(p * freq);
        const c = Math.cos(angle);
        const s = Math.sin(angle);
        cos[p * headDim + j] = c;
        cos[p * headDim + j + half] = c;
        sin[p * headDim + j] = s;
        sin[p * headDim + j + half] = s;
      }
    }
    this.#cos = this.addBuffer('cos', tf.tensor2d(cos, [maxPositions, headDim])) as tf.Tensor2D;
    this.#sin = this.addBuffer('sin', tf.tensor2d(sin, [maxPositions, headDim])) as tf.Tensor2D;
  }

  /**
   * Rotates `x [B, H, T, dh]` for absolute `positions` `[T]` (shared by the
   * batch) or `[B, T]` (int32).
   */
  forward(x: tf.Tensor, positions: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [b, , t, dh] = x.shape;
      const shape = positions.rank === 1 ? [1, 1, t, dh] : [b, 1, t, dh];
      const cos = tf.gather(this.#cos, positions).reshape(shape);
      const sin = tf.gather(this.#sin, positions).reshape(shape);
      const half = dh / 2;
      const x1 = tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, half]);
      const x2 = tf.slice(x, [0, 0, 0, half], [-1, -1, -1, half]);
      const rotated = tf.concat([tf.neg(x2), x1], -1);
      return tf.add(tf.mul(x, cos), tf.mul(rotated, sin));
    });
  }
}

/**
 * Reorders the rows of a q or k projection weight `[heads·dh, in]` from the
 * interleaved pairing (Meta, llama2.c) to Hugging Face's half split:
 * `w.view(heads, dh/2, 2, in).transpose(1, 2).reshape(heads·dh, in)`.
 */
export function permuteForRotateHalf(
  w: Float32Array,
  heads: number,
  headDim: number,
  inDim: number,
): Float32Array {
  return permuteRotaryRows(w, heads, headDim, inDim, 'toHalfSplit');
}

/** The inverse of {@link permuteForRotateHalf} (for exporting to llama2.c). */
export function permuteForInterleaved(
  w: Float32Array,
  heads: number,
  headDim: number,
  inDim: number,
): Float32Array {
  return permuteRotaryRows(w, heads, headDim, inDim, 'toInterleaved');
}

/**
 * Moves each row between its interleaved place (pair i, member r at
 * `2i + r`) and its half-split place (`r·dh/2 + i`) within every head.
 */
function permuteRotaryRows(
  w: Float32Array,
  heads: number,
  headDim: number,
  inDim: number,
  direction: 'toHalfSplit' | 'toInterleaved',
): Float32Array {
  const out = new Float32Array(w.length);
  const half = headDim / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let r = 0; r < 2; r++) {
        const interleaved = (h * headDim + 2 * i + r) * inDim;
        const halfSplit = (h * headDim + r * half + i) * inDim;
        const [src, dst] =
          direction === 'toHalfSplit' ? [interleaved, halfSplit] : [halfSplit, interleaved];
        out.set(w.subarray(src, src + inDim), dst);
      }
    }
  }
  return out;
}
