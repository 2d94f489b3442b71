import { AbortedError, type Rng } from '@kd/core';
import type { RelationTypes } from '@kd/data';
import { type ExtractionDocument, relationExtraction } from '@kd/eval';
import * as tf from '@tensorflow/tfjs-core';
import { gatherRows } from '../scatter.js';
import { type OptimizerOptions, ParamOptimizer } from '../train/optimizer.js';
import type { EncodedSentence } from './features.js';
import type { Candidates, JointExtractor } from './model.js';
import { type Span, tagsToSpans } from './tags.js';

export interface ExtractionScores {
  nerMicroF1: number;
  nerMacroF1: number;
  relMicroF1: number;
  relMacroF1: number;
  relMicroPrecision: number;
  relMicroRecall: number;
}

function softmaxCrossEntropy(logits: tf.Tensor2D, labels: Int32Array): tf.Scalar {
  return tf.tidy(() => {
    const target = tf.oneHot(tf.tensor1d(labels, 'int32'), logits.shape[1]);
    return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  });
}

/** Tagging loss over the batch's words plus relation loss over its gold entity pairs. */
export function extractionLoss(
  model: JointExtractor,
  batch: readonly EncodedSentence[],
  types: RelationTypes,
): tf.Scalar {
  const gold: Candidates = batch.map((s) => s.doc.entities);
  const out = model.forward(batch, gold);
  return tf.tidy(() => {
    const tags = new Int32Array(batch.reduce((a, s) => a + s.tags.length, 0));
    let o = 0;
    const kept: number[] = [];
    for (const s of batch) {
      tags.set(s.tags, o);
      s.firstSubword.forEach((f, w) => {
        if (f >= 0) kept.push(o + w);
      });
      o += s.tags.length;
    }
    const idx = Int32Array.from(kept);
    let loss = softmaxCrossEntropy(
      gatherRows(out.tagLogits, idx) as tf.Tensor2D,
      Int32Array.from(idx, (k) => tags[k]),
    );
    if (out.pairs.length > 0) {
      const none = types.relations.length;
      const labels = Int32Array.from(out.pairs, (p) => {
        const rel = batch[p.sentence].doc.relations.find(
          (r) => r.head === p.head && r.tail === p.tail,
        );
        return rel ? types.relations.indexOf(rel.type) : none;
      });
      loss = tf.add(loss, softmaxCrossEntropy(out.relationLogits, labels)) as tf.Scalar;
    }
    return loss;
  });
}

/** Predicted entities (from the tagger) and relations (between them) per sentence. */
export function predict(
  model: JointExtractor,
  sentences: readonly EncodedSentence[],
  types: RelationTypes,
  batchSize = 32,
): ExtractionDocument[] {
  const wasTraining = model.training;
  model.eval();
  const docs: ExtractionDocument[] = [];
  try {
    for (let start = 0; start < sentences.length; start += batchSize) {
      const batch = sentences.slice(start, start + batchSize);
      const tagLogits = tf.tidy(() =>
        tf
          .argMax(
            model.forward(
              batch,
              batch.map(() => []),
            ).tagLogits,
            1,
          )
          .dataSync(),
      );
      let o = 0;
      const spans: Span[][] = batch.map((s) => {
        const n = s.doc.tokens.length;
        const tags = Int32Array.from({ length: n }, (_, w) =>
          s.firstSubword[w] < 0 ? 0 : tagLogits[o + w],
        );
        o += n;
        return tagsToSpans(tags, types.entities);
      });
      const out = model.forward(batch, spans);
      const rel = tf.tidy(() => tf.argMax(out.relationLogits, 1).dataSync());
      tf.dispose([out.tagLogits, out.relationLogits]);
      for (const s of spans) docs.push({ entities: s, relations: [] });
      out.pairs.forEach((p, k) => {
        const r = rel[k];
        if (r >= types.relations.length) return;
        const doc = docs[start + p.sentence];
        (doc.relations as { head: Span; tail: Span; type: string }[]).push({
          head: spans[p.sentence][p.head],
          tail: spans[p.sentence][p.tail],
          type: types.relations[r],
        });
      });
    }
  } finally {
    model.train(wasTraining);
  }
  return docs;
}

/** Strict entity F1 and strict relation (RE+) F1, micro and macro, SpERT's way (via @kd/eval). */
export function scoreExtraction(
  predictions: readonly ExtractionDocument[],
  sentences: readonly EncodedSentence[],
  types: RelationTypes,
): ExtractionScores {
  const gold: ExtractionDocument[] = sentences.map((s) => ({
    entities: s.doc.entities,
    relations: s.doc.relations.map((r) => ({
      head: s.doc.entities[r.head],
      tail: s.doc.entities[r.tail],
      type: r.type,
    })),
  }));
  const symmetric = [...types.symmetric];
  const ner = relationExtraction(predictions, gold, { target: 'entities' });
  const rel = relationExtraction(predictions, gold, {
    target: 'relations',
    mode: 'strict',
    symmetric_types: symmetric,
  });
  return {
    nerMicroF1: ner.f1,
    nerMacroF1: ner.macro_f1,
    relMicroF1: rel.f1,
    relMacroF1: rel.macro_f1,
    relMicroPrecision: rel.precision,
    relMicroRecall: rel.recall,
  };
}

export interface TrainExtractionOptions {
  epochs: number;
  batchSize: number;
  optimizer: OptimizerOptions;
  /** Score dev every this many epochs and keep the weights with the best relation micro F1. */
  evalEvery?: number;
  signal?: AbortSignal;
  onEpoch?: (log: { epoch: number; loss: number; dev?: ExtractionScores; ms: number }) => void;
}

/** Minibatch training on shuffled sentences; restores the best dev weights. */
export function trainExtractor(
  model: JointExtractor,
  train: readonly EncodedSentence[],
  dev: readonly EncodedSentence[],
  types: RelationTypes,
  options: TrainExtractionOptions,
  rng: Rng,
): { losses: number[]; best?: { epoch: number; dev: ExtractionScores } } {
  const optimizer = new ParamOptimizer(model.trainableParameters(), options.optimizer);
  const losses: number[] = [];
  let best:
    | { epoch: number; dev: ExtractionScores; state: Record<string, Float32Array> }
    | undefined;
  try {
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      if (options.signal?.aborted) throw new AbortedError(`stopped at epoch ${epoch}`);
      const t0 = performance.now();
      model.train();
      const order = rng.permutation(train.length);
      let sum = 0;
      let n = 0;
      for (let start = 0; start < order.length; start += options.batchSize) {
        const batch = order.slice(start, start + options.batchSize).map((i) => train[i]);
        sum += optimizer.step(() => extractionLoss(model, batch, types));
        n++;
      }
      losses.push(sum / n);
      let devScores: ExtractionScores | undefined;
      const every = options.evalEvery ?? 1;
      if (every > 0 && (epoch % every === 0 || epoch === options.epochs)) {
        devScores = scoreExtraction(predict(model, dev, types), dev, types);
        if (!best || devScores.relMicroF1 > best.dev.relMicroF1) {
          best = {
            epoch,
            dev: devScores,
            state: Object.fromEntries(
              Object.entries(model.stateDict()).map(([k, v]) => [
                k,
                (v.dataSync() as Float32Array).slice(),
              ]),
            ),
          };
        }
      }
      options.onEpoch?.({ epoch, loss: sum / n, dev: devScores, ms: performance.now() - t0 });
    }
  } finally {
    optimizer.dispose();
  }
  if (best) {
    const params = model.stateDict();
    model.loadStateDict(
      Object.fromEntries(
        Object.entries(best.state).map(([k, data]) => [
          k,
          { dtype: 'float32' as const, shape: [...params[k].shape], data },
        ]),
      ),
    );
  }
  return { losses, best: best && { epoch: best.epoch, dev: best.dev } };
}
