import { ShapeError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { checkRank, type MaskInput, maskedMean, toMask } from '../masks.js';

/**
 * Maps student features to the teacher's width: a torch-layout linear map
 * (`weight` `[d_t, d_s]`, `bias` `[d_t]`: y = x·Wᵀ + b, as `nn.Linear` and
 * TinyBERT's `fit_dense`), or any function of the `[..., d_s]` tensor.
 */
export type Projection =
  | { weight: tf.Tensor; bias?: tf.Tensor }
  | ((student: tf.Tensor) => tf.Tensor);

export interface HiddenLossOptions {
  /** `[B, T]`: 1 for tokens, 0 for padding. */
  mask?: MaskInput;
  /** Needed when the student's width differs from the teacher's. */
  projection?: Projection;
}

/** Applies `projection` to `[..., d_s]` features (no-op without one). */
export function project(x: tf.Tensor, projection: Projection | undefined): tf.Tensor {
  if (!projection) return x;
  if (typeof projection === 'function') return projection(x);
  return tf.tidy(() => {
    const { weight, bias } = projection;
    const d = x.shape[x.rank - 1];
    if (weight.rank !== 2 || weight.shape[1] !== d) {
      throw new ShapeError(
        `projection weight must be [d_teacher, ${d}] (torch Linear layout), got [${weight.shape.join(', ')}]`,
        { where: 'projection' },
      );
    }
    const flat = tf.matMul(x.reshape([-1, d]), weight, false, true);
    const y = bias ? tf.add(flat, bias) : flat;
    return y.reshape([...x.shape.slice(0, -1), weight.shape[0]]);
  });
}

function prepare(
  student: tf.Tensor,
  teacher: tf.Tensor,
  options: HiddenLossOptions,
  where: string,
): { s: tf.Tensor; mask: tf.Tensor | undefined } {
  checkRank(student, 3, 'student hidden states [B, T, d_s]', where);
  checkRank(teacher, 3, 'teacher hidden states [B, T, d_t]', where);
  if (student.shape[0] !== teacher.shape[0] || student.shape[1] !== teacher.shape[1]) {
    throw new ShapeError(
      `student [${student.shape.join(', ')}] and teacher [${teacher.shape.join(', ')}] hidden states must share batch and length`,
      { where },
    );
  }
  const s = project(student, options.projection);
  const ds = s.shape[2];
  const dt = teacher.shape[2];
  if (ds !== dt) {
    throw new ShapeError(
      options.projection
        ? `the projection maps the student to width ${ds}, but the teacher's width is ${dt}`
        : `student width ${ds} ≠ teacher width ${dt} and no projection was given; pass { projection } (the Distiller creates a learned one with projection: 'auto')`,
      { where },
    );
  }
  return { s, mask: toMask(options.mask, student.shape.slice(0, 2), where) };
}

/**
 * Hidden-state MSE (TinyBERT, TextBrewer `hidden_mse`), masked:
 *
 *     L = Σ_valid ‖h_s W + b − h_t‖² / (n · d_t)
 *
 * n is the number of valid positions. TinyBERT's unmasked `MSELoss()` is
 * this with every position valid.
 */
export function hiddenMse(
  student: tf.Tensor,
  teacher: tf.Tensor,
  options: HiddenLossOptions = {},
): tf.Scalar {
  return tf.tidy(() => {
    const { s, mask } = prepare(student, teacher, options, 'hiddenMse');
    const per = tf.mean(tf.square(tf.sub(s, teacher)), -1);
    return maskedMean(per, mask);
  });
}

/**
 * Cosine hidden-state loss (DistilBERT `α_cos`, TextBrewer `cos`), masked:
 * the mean over valid positions of 1 − cos(h_s W + b, h_t), with each norm
 * clamped at 1e-8 as torch's `cosine_similarity` does.
 */
export function hiddenCosine(
  student: tf.Tensor,
  teacher: tf.Tensor,
  options: HiddenLossOptions = {},
): tf.Scalar {
  return tf.tidy(() => {
    const { s, mask } = prepare(student, teacher, options, 'hiddenCosine');
    const eps = 1e-8;
    // sqrt(max(‖x‖², eps²)) rather than max(‖x‖, eps): same value, and a zero
    // vector gets a finite gradient instead of 0·∞.
    const ns = tf.sqrt(tf.maximum(tf.sum(tf.square(s), -1), eps * eps));
    const nt = tf.sqrt(tf.maximum(tf.sum(tf.square(teacher), -1), eps * eps));
    const cos = tf.div(tf.sum(tf.mul(s, teacher), -1), tf.mul(ns, nt));
    return maskedMean(tf.sub(1, cos), mask);
  });
}
