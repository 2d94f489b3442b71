import * as tf from '@tensorflow/tfjs-core';
import { detach, logSigmoid } from '../nn/ops.js';

/**
 * Margin ranking loss (TransE): mean over pairs of max(0, margin − f(pos) + f(neg)),
 * `pos` `[B]`, `neg` `[B, k]`.
 */
export function marginRankingLoss(pos: tf.Tensor1D, neg: tf.Tensor2D, margin: number): tf.Scalar {
  return tf.tidy(
    () => tf.mean(tf.relu(tf.add(tf.sub(margin, tf.expandDims(pos, 1)), neg))) as tf.Scalar,
  );
}

/**
 * Negative-sampling logistic loss of RotatE (Sun et al. 2019, eq. 5), with
 * scores already γ − d: −log σ(f(pos)) − Σ_j w_j log σ(−f(neg_j)), averaged
 * as KnowledgeGraphEmbedding does ((pos term + neg term) / 2). With
 * `adversarialTemperature` α > 0 the weights are the self-adversarial
 * softmax(α·f(neg)) held constant; otherwise uniform 1/k.
 */
export function negativeSamplingLoss(
  pos: tf.Tensor1D,
  neg: tf.Tensor2D,
  adversarialTemperature = 0,
): tf.Scalar {
  return tf.tidy(() => {
    const negLog = logSigmoid(tf.neg(neg));
    const perPositive =
      adversarialTemperature > 0
        ? tf.sum(tf.mul(detach(tf.softmax(tf.mul(neg, adversarialTemperature))), negLog), 1)
        : tf.mean(negLog, 1);
    const posTerm = tf.neg(tf.mean(logSigmoid(pos)));
    const negTerm = tf.neg(tf.mean(perPositive));
    return tf.div(tf.add(posTerm, negTerm), 2) as tf.Scalar;
  });
}

/**
 * 1-vs-all softmax cross-entropy (Lacroix et al. 2018; the "1-N" scoring of
 * ConvE with a softmax): −log softmax(scores)[target], with optional label
 * smoothing ε (target mass 1 − ε, the rest spread uniformly). `scores` `[B, N]`.
 */
export function oneVsAllLoss(
  scores: tf.Tensor2D,
  targets: Int32Array,
  labelSmoothing = 0,
): tf.Scalar {
  return tf.tidy(() => {
    const n = scores.shape[1];
    const logp = tf.logSoftmax(scores);
    let target: tf.Tensor = tf.oneHot(tf.tensor1d(targets, 'int32'), n);
    if (labelSmoothing > 0) target = tf.add(tf.mul(target, 1 - labelSmoothing), labelSmoothing / n);
    return tf.neg(tf.mean(tf.sum(tf.mul(target, logp), 1))) as tf.Scalar;
  });
}
