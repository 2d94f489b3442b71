import { ShapeError, ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { checkRank, type MaskInput, toMask, xLogY } from '../masks.js';

export interface AttentionLossOptions {
  /**
   * `[B, S]` attention mask over key positions (1 = token, 0 = padding). Query
   * positions are the last T of them (T = S without a KV cache).
   */
  mask?: MaskInput;
}

/** `[B, H, T, S]` checks shared by the attention losses; returns the head counts. */
function checkMaps(student: tf.Tensor, teacher: tf.Tensor, what: string, where: string) {
  checkRank(student, 4, `student ${what} [B, H, T, S]`, where);
  checkRank(teacher, 4, `teacher ${what} [B, H, T, S]`, where);
  const [bs, , ts, ss] = student.shape;
  const [bt, , tt, st] = teacher.shape;
  if (bs !== bt || ts !== tt || ss !== st) {
    throw new ShapeError(
      `student [${student.shape.join(', ')}] and teacher [${teacher.shape.join(', ')}] ${what} must agree on batch, queries and keys (heads may differ)`,
      { where },
    );
  }
}

/** Query (`[B, T]`) and key (`[B, S]`) masks from a `[B, S]` attention mask. */
function queryKeyMasks(
  mask: MaskInput | undefined,
  b: number,
  t: number,
  s: number,
  where: string,
): { q: tf.Tensor | undefined; k: tf.Tensor | undefined } {
  const k = toMask(mask, [b, s], where);
  if (!k) return { q: undefined, k: undefined };
  return { q: t === s ? k : tf.slice(k, [0, s - t], [b, t]), k };
}

function meanOverHeads(x: tf.Tensor): tf.Tensor {
  return tf.mean(x, 1, true);
}

/**
 * Attention-map KL (MiniLM's L_AT; TextBrewer `att_ce` up to the teacher's
 * entropy):
 *
 *     L = Σ_{valid b, h, q} KL(A_t[b,h,q,:] ‖ A_s[b,h,q,:]) / (H · n_q)
 *
 * with 0·log 0 = 0 over the keys and n_q the number of valid query
 * positions. Inputs are attention probabilities (`input: 'probs'`, the
 * `attentions` tap) or pre-softmax scores (`input: 'scores'`, the `scores`
 * tap, log-softmaxed here, which is exact even where probabilities
 * underflow). When the head counts differ, each side's probabilities are
 * first averaged over its heads (TextBrewer's `att_ce_mean`) and H = 1.
 */
export function attentionKl(
  student: tf.Tensor,
  teacher: tf.Tensor,
  options: AttentionLossOptions & { input?: 'probs' | 'scores' } = {},
): tf.Scalar {
  const where = 'attentionKl';
  const input = options.input ?? 'probs';
  if (input !== 'probs' && input !== 'scores') {
    throw new ValidationError(`input must be "probs" or "scores", got ${input}`, [], { where });
  }
  checkMaps(
    student,
    teacher,
    input === 'probs' ? 'attention probabilities' : 'attention scores',
    where,
  );
  return tf.tidy(() => {
    const [b, , t, s] = teacher.shape;
    const { q } = queryKeyMasks(options.mask, b, t, s, where);
    let lt: tf.Tensor;
    let ls: tf.Tensor;
    let pt: tf.Tensor;
    if (student.shape[1] === teacher.shape[1]) {
      if (input === 'scores') {
        lt = tf.logSoftmax(teacher);
        ls = tf.logSoftmax(student);
        pt = tf.exp(lt);
      } else {
        pt = teacher;
        lt = safeLog(teacher);
        ls = safeLog(student);
      }
    } else {
      const toProbs = (x: tf.Tensor) => (input === 'scores' ? tf.softmax(x) : x);
      pt = meanOverHeads(toProbs(teacher));
      lt = safeLog(pt);
      ls = safeLog(meanOverHeads(toProbs(student)));
    }
    const h = pt.shape[1] as number;
    // [B, H, T]: KL over the keys of every (batch, head, query).
    const kl = tf.sum(tf.sub(xLogY(pt, lt), xLogY(pt, ls)), -1);
    const perQuery = tf.sum(kl, 1); // [B, T], summed over heads
    if (!q) return tf.div(tf.sum(perQuery), b * h * t) as tf.Scalar;
    const kept = tf.where(tf.greater(q, 0), perQuery, tf.zerosLike(perQuery));
    return tf.div(tf.sum(kept), tf.mul(tf.maximum(tf.sum(q), 1), h)) as tf.Scalar;
  });
}

/** log(p) with p clamped at 1e-30, so a zero probability gives a finite log and gradient. */
function safeLog(p: tf.Tensor): tf.Tensor {
  return tf.log(tf.maximum(p, 1e-30));
}

/**
 * TinyBERT's attention loss on pre-softmax scores (the `scores` tap), with
 * masked entries zeroed and padding excluded:
 *
 *     Â = A where A > threshold, else 0      (both sides; threshold −100)
 *     L = Σ_{b,h,q,k: q and k valid} (Â_s − Â_t)² / (H · Σ_b n_q,b · n_k,b)
 *
 * The additive mask (−10000 on padded and, in decoders, future keys) puts
 * those scores below the threshold, so they compare as 0 = 0. With every
 * position valid this is TinyBERT's plain `MSELoss` after zeroing; with a
 * padding mask it is TextBrewer's `att_mse_loss`. When the head counts
 * differ, the zeroed scores are averaged over heads first (H = 1).
 */
export function attentionMse(
  student: tf.Tensor,
  teacher: tf.Tensor,
  options: AttentionLossOptions & { maskThreshold?: number } = {},
): tf.Scalar {
  const where = 'attentionMse';
  checkMaps(student, teacher, 'attention scores', where);
  const threshold = options.maskThreshold ?? -100;
  return tf.tidy(() => {
    const [b, , t, s] = teacher.shape;
    const zeroMasked = (x: tf.Tensor) => tf.where(tf.greater(x, threshold), x, tf.zerosLike(x));
    let zs = zeroMasked(student);
    let zt = zeroMasked(teacher);
    if (student.shape[1] !== teacher.shape[1]) {
      zs = meanOverHeads(zs);
      zt = meanOverHeads(zt);
    }
    const h = zt.shape[1] as number;
    const sq = tf.square(tf.sub(zs, zt)); // [B, H, T, S]
    const { q, k } = queryKeyMasks(options.mask, b, t, s, where);
    if (!q || !k) return tf.div(tf.sum(sq), b * h * t * s) as tf.Scalar;
    const pair = tf.mul(q.reshape([b, 1, t, 1]), k.reshape([b, 1, 1, s])); // [B, 1, T, S]
    const kept = tf.where(tf.greater(tf.broadcastTo(pair, sq.shape), 0), sq, tf.zerosLike(sq));
    const count = tf.sum(tf.mul(tf.sum(q, 1), tf.sum(k, 1)));
    return tf.div(tf.sum(kept), tf.mul(tf.maximum(count, 1), h)) as tf.Scalar;
  });
}
