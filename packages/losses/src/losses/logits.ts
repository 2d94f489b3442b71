import { ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { type MaskInput, maskedMean, sameShape, toMask, xLogY } from '../masks.js';

/**
 * Options shared by the logit losses. Logits are `[..., V]` (`[B, C]` for
 * classification, `[B, T, V]` for language models); the mask has the
 * leading shape (`[B]`, `[B, T]`).
 */
export interface LogitLossOptions {
  /** Softmax temperature T: both distributions are softmax(z / T). Default 1. */
  temperature?: number;
  /**
   * Multiply the loss by T² (default true), so its gradient keeps the same
   * scale as T changes (Hinton et al. 2015; DistilBERT and torchdistill do
   * this, TextBrewer and TinyBERT do not). With T = 1 it changes nothing.
   */
  scaleByTemperatureSquared?: boolean;
  mask?: MaskInput;
}

/**
 * KL(p ‖ q) over the last axis from log-probabilities: Σ p·(log p − log q),
 * with 0 where p = 0 (so −∞ logits, masked vocabulary entries, give 0, not NaN).
 */
export function klRows(logP: tf.Tensor, logQ: tf.Tensor): tf.Tensor {
  const p = tf.exp(logP);
  const terms = tf.mul(p, tf.sub(logP, logQ));
  return tf.sum(tf.where(tf.greater(p, 0), terms, tf.zerosLike(terms)), -1);
}

function temperatureOf(options: LogitLossOptions, where: string): number {
  const t = options.temperature ?? 1;
  if (!(t > 0) || !Number.isFinite(t)) {
    throw new ValidationError(`temperature must be a finite number > 0, got ${t}`, [], { where });
  }
  return t;
}

function scale(options: LogitLossOptions, t: number): number {
  return (options.scaleByTemperatureSquared ?? true) ? t * t : 1;
}

function prepare(student: tf.Tensor, teacher: tf.Tensor, options: LogitLossOptions, where: string) {
  sameShape(student, teacher, 'logits', where);
  if (student.rank < 1) throw new ValidationError('logits need a class axis', [], { where });
  const t = temperatureOf(options, where);
  const mask = toMask(options.mask, student.shape.slice(0, -1), where);
  return { t, mask };
}

/**
 * Logit distillation, KL between the teacher's and the student's softened
 * distributions:
 *
 *     L = T² · Σ_valid KL(p_t ‖ p_s) / n,   p = softmax(z / T)
 *
 * (`direction: 'reverse'` gives KL(p_s ‖ p_t), the mode-seeking variant used
 * for generative students). n is the number of valid positions; terms with
 * p = 0 contribute 0. Equals DistilBERT's `α_ce` term (KL with `batchmean`
 * over the selected positions, × T²) and torchdistill's `KDLoss` with β = 1.
 */
export function logitKd(
  student: tf.Tensor,
  teacher: tf.Tensor,
  options: LogitLossOptions & { direction?: 'forward' | 'reverse' } = {},
): tf.Scalar {
  const where = 'logitKd';
  const direction = options.direction ?? 'forward';
  if (direction !== 'forward' && direction !== 'reverse') {
    throw new ValidationError(`direction must be "forward" or "reverse", got ${direction}`, [], {
      where,
    });
  }
  return tf.tidy(() => {
    const { t, mask } = prepare(student, teacher, options, where);
    const ls = tf.logSoftmax(tf.div(student, t));
    const lt = tf.logSoftmax(tf.div(teacher, t));
    const [lp, lq] = direction === 'forward' ? [lt, ls] : [ls, lt];
    const kl = klRows(lp, lq);
    return tf.mul(maskedMean(kl, mask), scale(options, t)) as tf.Scalar;
  });
}

/**
 * Soft cross-entropy with the teacher's softened distribution as the target:
 *
 *     L = T² · Σ_valid (−Σ_v p_t log p_s) / n
 *
 * It differs from forward `logitKd` by the teacher's entropy, a constant for
 * the student, so the gradients agree. TextBrewer's `kd_ce_loss` is this with
 * `scaleByTemperatureSquared: false`; TinyBERT's `soft_cross_entropy` is
 * that divided by the number of classes (it averages over classes too).
 */
export function softCrossEntropy(
  student: tf.Tensor,
  teacher: tf.Tensor,
  options: LogitLossOptions = {},
): tf.Scalar {
  const where = 'softCrossEntropy';
  return tf.tidy(() => {
    const { t, mask } = prepare(student, teacher, options, where);
    const ls = tf.logSoftmax(tf.div(student, t));
    const pt = tf.softmax(tf.div(teacher, t));
    const ce = tf.neg(tf.sum(xLogY(pt, ls), -1));
    return tf.mul(maskedMean(ce, mask), scale(options, t)) as tf.Scalar;
  });
}

/**
 * Generalized Jensen–Shannon divergence of TRL's GKD (Agarwal et al. 2024):
 *
 *     M = β·p_t + (1 − β)·p_s
 *     JSD_β = β·KL(p_t ‖ M) + (1 − β)·KL(p_s ‖ M)
 *     L = T² · Σ_valid JSD_β / n
 *
 * β = 0 and β = 1 are, as in TRL, forward KL(p_t ‖ p_s) and reverse
 * KL(p_s ‖ p_t) (the limits of JSD_β itself are 0 there).
 */
export function generalizedJsd(
  student: tf.Tensor,
  teacher: tf.Tensor,
  options: LogitLossOptions & { beta?: number } = {},
): tf.Scalar {
  const where = 'generalizedJsd';
  const beta = options.beta ?? 0.5;
  if (!(beta >= 0 && beta <= 1)) {
    throw new ValidationError(`beta must be in [0, 1], got ${beta}`, [], { where });
  }
  if (beta === 0) return logitKd(student, teacher, { ...options, direction: 'forward' });
  if (beta === 1) return logitKd(student, teacher, { ...options, direction: 'reverse' });
  return tf.tidy(() => {
    const { t, mask } = prepare(student, teacher, options, where);
    const ls = tf.logSoftmax(tf.div(student, t));
    const lt = tf.logSoftmax(tf.div(teacher, t));
    // log M = logsumexp(log p_s + log(1 − β), log p_t + log β), computed stably.
    const a = tf.add(ls, Math.log(1 - beta));
    const b = tf.add(lt, Math.log(beta));
    const hi = tf.maximum(a, b);
    const lm = tf.add(hi, tf.log(tf.add(tf.exp(tf.sub(a, hi)), tf.exp(tf.sub(b, hi)))));
    const klT = klRows(lt, lm);
    const klS = klRows(ls, lm);
    const jsd = tf.add(tf.mul(klT, beta), tf.mul(klS, 1 - beta));
    return tf.mul(maskedMean(jsd, mask), scale(options, t)) as tf.Scalar;
  });
}

/**
 * Mean squared error between tempered logits:
 *
 *     L = T² · Σ_valid Σ_v (z_s/T − z_t/T)² / (n · V)
 *
 * With the default T² factor, T cancels (the loss is the MSE of the raw
 * logits); TextBrewer's `kd_mse_loss` is `scaleByTemperatureSquared: false`.
 */
export function logitMse(
  student: tf.Tensor,
  teacher: tf.Tensor,
  options: LogitLossOptions = {},
): tf.Scalar {
  const where = 'logitMse';
  return tf.tidy(() => {
    const { t, mask } = prepare(student, teacher, options, where);
    const v = student.shape[student.rank - 1];
    const se = tf.div(tf.sum(tf.square(tf.div(tf.sub(student, teacher), t)), -1), v);
    return tf.mul(maskedMean(se, mask), scale(options, t)) as tf.Scalar;
  });
}
