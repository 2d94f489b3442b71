import { ShapeError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { type IntInput, intTensor } from '../models/inputs.js';

/** Label value that contributes no loss (torch's `ignore_index` default). */
export const IGNORE_INDEX = -100;

/**
 * Mean token cross-entropy `−log softmax(logits)[label]` over the positions
 * whose label is not `ignoreIndex`, as torch's `cross_entropy` with
 * `ignore_index` (reduction `mean`). logits `[..., V]`, labels `[...]`. When
 * every label is ignored the loss is 0 (torch gives NaN).
 */
export function crossEntropy(
  logits: tf.Tensor,
  labels: tf.Tensor,
  options: { ignoreIndex?: number } = {},
): tf.Scalar {
  const ignore = options.ignoreIndex ?? IGNORE_INDEX;
  const v = logits.shape[logits.rank - 1];
  if (logits.rank !== labels.rank + 1 || labels.shape.some((d, i) => d !== logits.shape[i])) {
    throw new ShapeError(
      `labels [${labels.shape.join(', ')}] do not match logits [${logits.shape.join(', ')}] (expected logits [..., V] and labels [...])`,
      { where: 'crossEntropy' },
    );
  }
  return tf.tidy(() => {
    const lp = tf.logSoftmax(logits.reshape([-1, v]));
    const flat = tf.cast(labels.reshape([-1]), 'int32');
    const valid = tf.cast(tf.notEqual(flat, ignore), 'float32');
    const safe = tf.where(tf.notEqual(flat, ignore), flat, tf.zerosLike(flat));
    const picked = tf.sum(tf.mul(lp, tf.oneHot(safe, v)), -1);
    const total = tf.neg(tf.sum(tf.mul(picked, valid)));
    return tf.div(total, tf.maximum(tf.sum(valid), 1)) as tf.Scalar;
  });
}

/** Masked-LM loss: cross-entropy on the positions `maskTokens` selected (labels −100 elsewhere). */
export function maskedLmLoss(logits: tf.Tensor, labels: IntInput): tf.Scalar {
  return tf.tidy(() => crossEntropy(logits, intTensor(labels, 'labels')));
}

/**
 * Causal-LM loss as Hugging Face computes it: logits at position t predict
 * token t+1 (`logits[:, :-1]` against `labels[:, 1:]`), mean over the
 * predicted tokens. `labels` default to the input ids; positions where
 * `attentionMask` is 0 are ignored.
 */
export function causalLmLoss(
  logits: tf.Tensor,
  inputIds: IntInput,
  options: { attentionMask?: IntInput; labels?: IntInput } = {},
): tf.Scalar {
  return tf.tidy(() => {
    let labels = intTensor(options.labels ?? inputIds, 'labels');
    const [b, t, v] = logits.shape;
    if (options.attentionMask) {
      const mask = intTensor(options.attentionMask, 'attentionMask');
      labels = tf.where(tf.equal(mask, 0), tf.fill(labels.shape, IGNORE_INDEX, 'int32'), labels);
    }
    const shiftedLogits = tf.slice(logits, [0, 0, 0], [b, t - 1, v]);
    const shiftedLabels = tf.slice(labels, [0, 1], [b, t - 1]);
    return crossEntropy(shiftedLogits, shiftedLabels);
  });
}
