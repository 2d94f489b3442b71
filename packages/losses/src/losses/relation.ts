import { ShapeError, ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { checkRank, type MaskInput, toMask, xLogY } from '../masks.js';

export interface RelationLossOptions {
  /** `[B, S]`: 1 for tokens, 0 for padding. Padded keys get no relation mass; padded queries do not count. */
  mask?: MaskInput;
  /**
   * MiniLMv2's relation heads: both sides' heads are concatenated
   * (`[B, S, H·dh]`) and split into this many heads before the relations are
   * formed, so teacher and student may differ in heads and width. Omitted:
   * per-head relations (MiniLM v1), which need equal head counts.
   */
  relationHeads?: number;
}

/** `[B, H, S, dh]` → `[B, R, S, H·dh/R]` (heads concatenated, then split in R). */
function regroup(x: tf.Tensor, r: number, where: string, side: string): tf.Tensor {
  const [b, h, s, dh] = x.shape;
  if ((h * dh) % r !== 0) {
    throw new ShapeError(
      `${side} has ${h}·${dh} = ${h * dh} features, not divisible into ${r} relation heads`,
      { where },
    );
  }
  return tf
    .transpose(x, [0, 2, 1, 3])
    .reshape([b, s, r, (h * dh) / r])
    .transpose([0, 2, 1, 3]);
}

/** log softmax(x xᵀ / √d + key mask) over the last axis: `[B, H, S, S]`. */
function logRelation(x: tf.Tensor, keyMask: tf.Tensor | undefined): tf.Tensor {
  const [b, , s, d] = x.shape;
  let scores = tf.div(tf.matMul(x, x, false, true), Math.sqrt(d));
  if (keyMask) {
    // Additive −10000 on padded keys, like the models' own attention mask.
    scores = tf.add(scores, tf.mul(tf.sub(1, keyMask), -10000).reshape([b, 1, 1, s]));
  }
  return tf.logSoftmax(scores);
}

/**
 * MiniLM's self-relation distillation (L_VR for values; MiniLMv2 also uses
 * queries and keys):
 *
 *     R = softmax(X Xᵀ / √d)                       per head, over keys
 *     L = Σ_{valid b, h, q} KL(R_t[b,h,q,:] ‖ R_s[b,h,q,:]) / (H · n_q)
 *
 * X is `[B, H, S, dh]` (the `values`, `queries` or `keys` tap; with
 * grouped-query attention the key/value heads). The relation matrices are
 * S × S whatever dh is, so per-head relations only need equal head counts;
 * with `relationHeads` (MiniLMv2) any widths and head counts work.
 */
export function selfRelationKl(
  student: tf.Tensor,
  teacher: tf.Tensor,
  options: RelationLossOptions = {},
): tf.Scalar {
  const where = 'selfRelationKl';
  checkRank(student, 4, 'student [B, H, S, dh]', where);
  checkRank(teacher, 4, 'teacher [B, H, S, dh]', where);
  const [b, hs, s] = student.shape;
  const [bt, ht, st] = teacher.shape;
  if (b !== bt || s !== st) {
    throw new ShapeError(
      `student [${student.shape.join(', ')}] and teacher [${teacher.shape.join(', ')}] must agree on batch and positions`,
      { where },
    );
  }
  const r = options.relationHeads;
  if (r !== undefined && !(Number.isInteger(r) && r > 0)) {
    throw new ValidationError(`relationHeads must be an integer ≥ 1, got ${r}`, [], { where });
  }
  if (r === undefined && hs !== ht) {
    throw new ShapeError(
      `student has ${hs} heads and teacher ${ht}; per-head relations need equal counts — set relationHeads (MiniLMv2) to compare any widths`,
      { where },
    );
  }
  return tf.tidy(() => {
    const xs = r === undefined ? student : regroup(student, r, where, 'student');
    const xt = r === undefined ? teacher : regroup(teacher, r, where, 'teacher');
    const k = toMask(options.mask, [b, s], where);
    const ls = logRelation(xs, k);
    const lt = logRelation(xt, k);
    const pt = tf.exp(lt);
    const kl = tf.sum(tf.sub(xLogY(pt, lt), xLogY(pt, ls)), -1); // [B, H, S]
    const h = kl.shape[1] as number;
    const perQuery = tf.sum(kl, 1); // [B, S]
    if (!k) return tf.div(tf.sum(perQuery), b * h * s) as tf.Scalar;
    const kept = tf.where(tf.greater(k, 0), perQuery, tf.zerosLike(perQuery));
    return tf.div(tf.sum(kept), tf.mul(tf.maximum(tf.sum(k), 1), h)) as tf.Scalar;
  });
}
