import { ShapeError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { MASK_VALUE } from '../taps.js';

export interface MaskOptions {
  /** `[B, S]`: 1 (or true) for real tokens, 0 for padding, over all key positions. */
  attentionMask?: tf.Tensor;
  /** Hide future keys: query i (absolute position S − T + i) sees keys ≤ its position. */
  causal?: boolean;
  /** T: query positions in this call. */
  queryLength: number;
  /** S: key positions (past + T). */
  keyLength: number;
}

/**
 * The additive attention mask `[B or 1, 1, T, S]`: 0 where a key is visible
 * and {@link MASK_VALUE} where it is padding or in the future; null when
 * nothing is hidden.
 */
export function additiveMask(options: MaskOptions): tf.Tensor | null {
  const { attentionMask, causal, queryLength: t, keyLength: s } = options;
  if (!attentionMask && !causal) return null;
  if (attentionMask && (attentionMask.rank !== 2 || attentionMask.shape[1] !== s)) {
    throw new ShapeError(
      `attention mask must be [batch, ${s}] (1 = token, 0 = padding), got [${attentionMask.shape.join(', ')}]`,
      { where: 'attentionMask' },
    );
  }
  return tf.tidy(() => {
    let causalMask: tf.Tensor | undefined;
    if (causal) {
      const data = new Float32Array(t * s);
      const past = s - t;
      for (let i = 0; i < t; i++) {
        for (let j = past + i + 1; j < s; j++) data[i * s + j] = MASK_VALUE;
      }
      causalMask = tf.tensor4d(data, [1, 1, t, s]);
    }
    if (!attentionMask) return causalMask as tf.Tensor;
    const b = attentionMask.shape[0];
    const pad = tf
      .mul(tf.sub(1, tf.cast(attentionMask, 'float32')), MASK_VALUE)
      .reshape([b, 1, 1, s]);
    return causalMask ? tf.minimum(pad, causalMask) : pad;
  });
}
