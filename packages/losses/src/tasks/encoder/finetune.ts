import type { BertForSequenceClassification } from '@kd/nn';
import type { Optimizer } from '@kd/optim';
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropyLoss } from '../../losses/hard-label.js';
import { type EncodedSplit, trimmedBatch } from './glue.js';

/**
 * Supervised fine-tuning of a classifier on an encoded split (what makes a
 * task teacher from the pretrained encoder): cross-entropy, one optimizer
 * step per batch, batches drawn by `order(step)`.
 */
export async function fineTune(
  model: BertForSequenceClassification,
  split: EncodedSplit,
  optimizer: Optimizer,
  steps: number,
  order: (step: number) => number[],
  signal?: AbortSignal,
): Promise<number[]> {
  const losses: number[] = [];
  model.train();
  const params = model.trainableParameters();
  for (let step = 0; step < steps; step++) {
    if (signal?.aborted) break;
    const rows = order(step);
    const { value, grads } = tf.variableGrads(() => {
      const { logits } = model.forward({
        inputIds: rows.map((r) => split.inputIds[r]),
        attentionMask: rows.map((r) => split.attentionMask[r]),
        tokenTypeIds: rows.map((r) => split.tokenTypeIds[r]),
      });
      return crossEntropyLoss(
        logits,
        rows.map((r) => split.labels[r]),
      );
    }, Object.values(params));
    const byName: Record<string, tf.Tensor> = {};
    for (const [n, p] of Object.entries(params)) if (grads[p.name]) byName[n] = grads[p.name];
    optimizer.step(params, byName);
    losses.push((await value.data())[0]);
    value.dispose();
    tf.dispose(Object.values(grads));
  }
  return losses;
}

/** Dev-set predictions (argmax), in batches, in eval mode. */
export function predict(
  model: BertForSequenceClassification,
  split: EncodedSplit,
  batch = 64,
): number[] {
  model.eval();
  const out: number[] = [];
  for (let i = 0; i < split.labels.length; i += batch) {
    const rows = Array.from({ length: Math.min(batch, split.labels.length - i) }, (_, k) => i + k);
    const pred = tf.tidy(() => tf.argMax(model.forward(trimmedBatch(split, rows)).logits, -1));
    out.push(...(pred.dataSync() as Int32Array));
    pred.dispose();
  }
  return out;
}
