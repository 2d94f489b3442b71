import { type Rng, ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import type { SparseMatrix } from '../sparse.js';

function checkRate(p: number, where: string): void {
  if (!(p >= 0 && p < 1)) {
    throw new ValidationError(`dropout probability must be in [0, 1), got ${p}`, [], { where });
  }
}

/**
 * Inverted-dropout mask drawn from kd's `Rng` (one 32-bit draw per element):
 * 0 with probability `p`, else 1/(1−p), as `torch.nn.functional.dropout`.
 */
export function dropoutMask(size: number, p: number, rng: Rng): Float32Array {
  checkRate(p, 'dropout');
  const keep = 1 / (1 - p);
  const threshold = p * 2 ** 32;
  const out = new Float32Array(size);
  for (let k = 0; k < size; k++) out[k] = rng.nextUint32() < threshold ? 0 : keep;
  return out;
}

/** `F.dropout(x, p, training)` with a seeded mask; identity when not training or p = 0. */
export function dropout(x: tf.Tensor, p: number, rng: Rng, training: boolean): tf.Tensor {
  checkRate(p, 'dropout');
  if (!training || p === 0) return x;
  return tf.tidy(() => tf.mul(x, tf.tensor(dropoutMask(x.size, p, rng), x.shape)));
}

/**
 * Dropout on the stored entries of a sparse input (Kipf & Welling's
 * `sparse_dropout`): zeros stay zero, so this equals dense dropout on the
 * densified matrix with the mask restricted to the non-zeros.
 */
export function sparseDropout(
  x: SparseMatrix,
  p: number,
  rng: Rng,
  training: boolean,
): SparseMatrix {
  checkRate(p, 'sparseDropout');
  if (!training || p === 0) return x;
  const mask = dropoutMask(x.nnz, p, rng);
  const vals = x.values;
  for (let k = 0; k < mask.length; k++) mask[k] *= vals ? vals[k] : 1;
  return x.withValues(mask);
}
