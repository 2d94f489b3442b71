import * as tf from '@tensorflow/tfjs-core';
import { meanAlong, moment } from '../ops.js';
import { checkFinite, checkNonNegative } from '../validate.js';
import { type ParamResult, perParameter, type SlotSpec } from './per-parameter.js';

export interface FactoredRmsOptions {
  /** Factor the second moment of tensors with two dims >= minDimSizeToFactor. */
  factored?: boolean;
  /** β̂₂ₜ = 1 − t^beta2Decay (torch's name and sign; the paper's −0.8). */
  beta2Decay?: number;
  /** ε₁, added to g² (paper 1e-30). */
  eps?: number;
  /** optax factors only tensors whose two largest dims are both >= 128; 1 factors every matrix, as the paper. */
  minDimSizeToFactor?: number;
}

/** The two largest dims (second largest first), or undefined when not factored. */
export function factoredDims(
  shape: readonly number[],
  factored: boolean,
  minDim: number,
): [number, number] | undefined {
  if (!factored || shape.length < 2) return undefined;
  const order = shape.map((_, i) => i).sort((a, b) => shape[a] - shape[b] || a - b);
  const d1 = order[order.length - 2];
  const d0 = order[order.length - 1];
  if (shape[d1] < minDim) return undefined;
  return [d1, d0];
}

/**
 * Adafactor's factored second moment (Shazeer & Stern 2018; optax
 * `scale_by_factored_rms`): row and column means of `g² + ε₁` decayed with
 * β̂₂ₜ = 1 − t^−0.8, `V̂ = R·C / mean(R)`, direction `g / √V̂`. Tensors that
 * are not factored keep the full `exp_avg_sq`.
 */
export function scaleByFactoredRms({
  factored = true,
  beta2Decay = -0.8,
  eps = 1e-30,
  minDimSizeToFactor = 128,
}: FactoredRmsOptions = {}) {
  checkFinite(beta2Decay, 'beta2Decay');
  checkNonNegative(eps, 'eps');
  checkNonNegative(minDimSizeToFactor, 'minDimSizeToFactor');
  const dimsOf = (shape: readonly number[]) => factoredDims(shape, factored, minDimSizeToFactor);
  return perParameter({
    name: 'adafactor',
    slots: (shape): Record<string, SlotSpec> => {
      const dims = dimsOf(shape);
      if (!dims) return { exp_avg_sq: { shape } };
      const [d1, d0] = dims;
      return {
        exp_avg_sq_row: { shape: shape.filter((_, i) => i !== d0) },
        exp_avg_sq_col: { shape: shape.filter((_, i) => i !== d1) },
      };
    },
    numbers: { step: 0 },
    apply: ({ g, slots, numbers }): ParamResult => {
      const step = numbers.step + 1;
      const decay = 1 - step ** beta2Decay;
      const gradSq = tf.add(tf.square(g), eps);
      const dims = dimsOf(g.shape);
      if (!dims) {
        const v = moment(slots.exp_avg_sq, gradSq, decay);
        return { update: tf.mul(g, tf.rsqrt(v)), slots: { exp_avg_sq: v }, numbers: { step } };
      }
      const [d1, d0] = dims;
      const row = moment(slots.exp_avg_sq_row, meanAlong(gradSq, d0), decay);
      const col = moment(slots.exp_avg_sq_col, meanAlong(gradSq, d1), decay);
      const rowMean = tf.mean(row, d1 > d0 ? d1 - 1 : d1, true);
      const rowFactor = tf.rsqrt(tf.div(row, rowMean));
      const colFactor = tf.rsqrt(col);
      const update = tf.mul(tf.mul(g, tf.expandDims(rowFactor, d0)), tf.expandDims(colFactor, d1));
      return { update, slots: { exp_avg_sq_row: row, exp_avg_sq_col: col }, numbers: { step } };
    },
  });
}
