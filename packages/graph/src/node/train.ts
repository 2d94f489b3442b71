import { AbortedError, ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import type { EdgeIndex } from '../edge-index.js';
import { gatherRows } from '../scatter.js';
import { type OptimizerOptions, ParamOptimizer } from '../train/optimizer.js';
import type { NodeFeatures, NodeModel } from './models.js';

/** A transductive node-classification problem (Planetoid layout). */
export interface NodeClassificationData {
  name: string;
  x: NodeFeatures;
  /** Class per node; −1 where unknown (never in a split). */
  y: Int32Array;
  numClasses: number;
  edgeIndex: EdgeIndex;
  trainIdx: Int32Array;
  valIdx: Int32Array;
  testIdx: Int32Array;
}

export interface EpochLog {
  epoch: number;
  trainLoss: number;
  valLoss: number;
  trainAcc: number;
  valAcc: number;
  testAcc: number;
  ms: number;
}

export interface TrainNodeOptions {
  epochs: number;
  optimizer: OptimizerOptions;
  /**
   * Stop when neither validation accuracy nor validation loss has improved
   * for this many epochs (GAT's criterion); 0 trains all epochs.
   */
  patience?: number;
  signal?: AbortSignal;
  onEpoch?: (log: EpochLog) => void;
}

export interface NodeTrainResult {
  history: EpochLog[];
  /** The epoch with the best validation accuracy (ties: lower validation loss). */
  best: EpochLog;
  final: EpochLog;
}

/** Mean negative log-likelihood of `labels` under softmax(`logits`) on rows `idx`. */
export function nllLoss(logits: tf.Tensor2D, labels: Int32Array, idx: Int32Array): tf.Scalar {
  return tf.tidy(() => {
    const rows = gatherRows(logits, idx);
    const target = tf.oneHot(
      tf.tensor1d(
        Int32Array.from(idx, (i) => labels[i]),
        'int32',
      ),
      logits.shape[1],
    );
    return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(rows), target), 1))) as tf.Scalar;
  });
}

/** Accuracy of row-wise argmax on `idx` (host side). */
export function accuracy(
  logits: ArrayLike<number>,
  numClasses: number,
  labels: Int32Array,
  idx: Int32Array,
): number {
  if (idx.length === 0) return Number.NaN;
  let correct = 0;
  for (const i of idx) {
    let best = 0;
    for (let c = 1; c < numClasses; c++) {
      if (logits[i * numClasses + c] > logits[i * numClasses + best]) best = c;
    }
    if (best === labels[i]) correct++;
  }
  return correct / idx.length;
}

function checkData(data: NodeClassificationData): void {
  for (const [name, idx] of [
    ['trainIdx', data.trainIdx],
    ['valIdx', data.valIdx],
    ['testIdx', data.testIdx],
  ] as const) {
    for (let k = 0; k < idx.length; k++) {
      const y = data.y[idx[k]];
      if (idx[k] < 0 || idx[k] >= data.y.length || !(y >= 0 && y < data.numClasses)) {
        throw new ValidationError(
          `node ${idx[k]} has label ${y}; split nodes need a label in [0, ${data.numClasses})`,
          [],
          { where: `${data.name}.${name}[${k}]` },
        );
      }
    }
  }
}

/**
 * Full-batch transductive training (Kipf & Welling; Veličković et al.):
 * one step per epoch on the training nodes, then an evaluation pass in eval
 * mode. Reports every epoch and the epoch selected on validation.
 */
export function trainNodeClassifier(
  model: NodeModel,
  data: NodeClassificationData,
  options: TrainNodeOptions,
): NodeTrainResult {
  checkData(data);
  const optimizer = new ParamOptimizer(model.trainableParameters(), options.optimizer);
  const history: EpochLog[] = [];
  let best: EpochLog | undefined;
  let bestAcc = -1;
  let bestLoss = Number.POSITIVE_INFINITY;
  let sinceImproved = 0;
  try {
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      if (options.signal?.aborted) throw new AbortedError(`stopped at epoch ${epoch}`);
      const t0 = performance.now();
      model.train();
      const trainLoss = optimizer.step(() =>
        nllLoss(model.forward(data.x, data.edgeIndex), data.y, data.trainIdx),
      );
      model.eval();
      const { logits, valLoss } = tf.tidy(() => {
        const out = model.forward(data.x, data.edgeIndex);
        return {
          logits: out.dataSync(),
          valLoss: nllLoss(out, data.y, data.valIdx).dataSync()[0],
        };
      }) as unknown as { logits: Float32Array; valLoss: number };
      const c = data.numClasses;
      const log: EpochLog = {
        epoch,
        trainLoss,
        valLoss,
        trainAcc: accuracy(logits, c, data.y, data.trainIdx),
        valAcc: accuracy(logits, c, data.y, data.valIdx),
        testAcc: accuracy(logits, c, data.y, data.testIdx),
        ms: performance.now() - t0,
      };
      history.push(log);
      options.onEpoch?.(log);
      if (
        !best ||
        log.valAcc > best.valAcc ||
        (log.valAcc === best.valAcc && log.valLoss < best.valLoss)
      ) {
        best = log;
      }
      if (log.valAcc > bestAcc || log.valLoss < bestLoss) {
        bestAcc = Math.max(bestAcc, log.valAcc);
        bestLoss = Math.min(bestLoss, log.valLoss);
        sinceImproved = 0;
      } else if (options.patience && ++sinceImproved >= options.patience) {
        break;
      }
    }
  } finally {
    optimizer.dispose();
    model.train();
  }
  if (!best) throw new ValidationError('epochs must be ≥ 1');
  return { history, best, final: history[history.length - 1] };
}
