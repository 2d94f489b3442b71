import { ShapeError, ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { type MaskInput, maskedMean, toMask } from '../masks.js';

/** torch's `ignore_index` default: labels with this value contribute nothing. */
export const IGNORE_INDEX = -100;

export type LabelInput = tf.Tensor | readonly number[] | readonly (readonly number[])[];

function labelTensor(labels: LabelInput): tf.Tensor {
  const t =
    labels instanceof tf.Tensor ? labels : tf.tensor(labels as number[][], undefined, 'int32');
  return t.dtype === 'int32' ? t : tf.cast(t, 'int32');
}

export interface CrossEntropyOptions {
  /** Leading shape of the logits; 0 drops a position (as does an `ignoreIndex` label). */
  mask?: MaskInput;
  /** Default −100. */
  ignoreIndex?: number;
  /** torch's `label_smoothing`: the target is (1 − ε)·one-hot + ε/C. Default 0. */
  labelSmoothing?: number;
}

/**
 * Hard-label cross-entropy, torch's `cross_entropy(reduction='mean')` with
 * `ignore_index` and `label_smoothing`: logits `[..., C]`, labels `[...]`,
 * the mean over valid positions of −Σ_c y_c log softmax(z)_c (0 when none is
 * valid). Classification: `[B, C]` and `[B]`; token tasks: `[B, T, C]` and
 * `[B, T]`.
 */
export function crossEntropyLoss(
  logits: tf.Tensor,
  labels: LabelInput,
  options: CrossEntropyOptions = {},
): tf.Scalar {
  const where = 'crossEntropyLoss';
  const eps = options.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) {
    throw new ValidationError(`labelSmoothing must be in [0, 1], got ${eps}`, [], { where });
  }
  return tf.tidy(() => {
    const y = labelTensor(labels);
    const lead = logits.shape.slice(0, -1);
    if (y.rank !== lead.length || y.shape.some((d, i) => d !== lead[i])) {
      throw new ShapeError(
        `labels [${y.shape.join(', ')}] do not match logits [${logits.shape.join(', ')}] (expected logits [..., C] and labels [...])`,
        { where },
      );
    }
    const c = logits.shape[logits.rank - 1];
    const ignore = options.ignoreIndex ?? IGNORE_INDEX;
    const keep = tf.notEqual(y, ignore);
    let valid = tf.cast(keep, 'float32');
    const mask = toMask(options.mask, lead, where);
    if (mask) valid = tf.mul(valid, mask);
    const safe = tf.where(keep, y, tf.zerosLike(y));
    const lp = tf.logSoftmax(logits);
    const nll = tf.neg(tf.sum(tf.mul(lp, tf.oneHot(safe.reshape([-1]), c).reshape(lp.shape)), -1));
    const loss = eps > 0 ? tf.add(tf.mul(nll, 1 - eps), tf.mul(tf.neg(tf.mean(lp, -1)), eps)) : nll;
    return maskedMean(loss, valid);
  });
}

/**
 * Causal language-model cross-entropy as Hugging Face computes it: logits
 * at position t predict token t + 1 (`logits[:, :-1]` against
 * `labels[:, 1:]`), mean over predicted tokens. `labels` default to the
 * input ids; a target is dropped when its mask entry is 0 or it equals
 * `ignoreIndex`.
 */
export function causalLmCrossEntropy(
  logits: tf.Tensor,
  inputIds: LabelInput,
  options: { mask?: MaskInput; labels?: LabelInput; ignoreIndex?: number } = {},
): tf.Scalar {
  const where = 'causalLmCrossEntropy';
  if (logits.rank !== 3) {
    throw new ShapeError(`expected logits [B, T, V], got [${logits.shape.join(', ')}]`, { where });
  }
  return tf.tidy(() => {
    const [b, t, v] = logits.shape;
    const y = labelTensor(options.labels ?? inputIds);
    if (y.rank !== 2 || y.shape[0] !== b || y.shape[1] !== t) {
      throw new ShapeError(`labels must be [${b}, ${t}], got [${y.shape.join(', ')}]`, { where });
    }
    const mask = toMask(options.mask, [b, t], where);
    const shifted = tf.slice(logits, [0, 0, 0], [b, t - 1, v]);
    const targets = tf.slice(y, [0, 1], [b, t - 1]);
    const targetMask = mask ? tf.slice(mask, [0, 1], [b, t - 1]) : undefined;
    return crossEntropyLoss(shifted, targets, {
      mask: targetMask,
      ignoreIndex: options.ignoreIndex,
    });
  });
}
