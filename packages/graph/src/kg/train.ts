import { AbortedError, type Rng, type StoredTensor, ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { type OptimizerOptions, ParamOptimizer } from '../train/optimizer.js';
import { evaluateLinkPrediction } from './evaluate.js';
import { marginRankingLoss, negativeSamplingLoss, oneVsAllLoss } from './losses.js';
import type { KgModel } from './model.js';
import { bernoulliHeadProbability, type NegativeSampler, sampleNegatives } from './sampling.js';
import { type KnowledgeGraphData, selectTriples, TripleFilter, type Triples } from './triples.js';

export type KgObjective =
  | {
      /** Softmax cross-entropy of each query against all entities (1-vs-all). */
      type: '1-n';
      labelSmoothing?: number;
    }
  | {
      type: 'negative-sampling';
      count: number;
      sampler: NegativeSampler;
      /** `logistic`: RotatE's −log σ loss; `margin`: TransE's margin ranking. */
      loss: 'logistic' | 'margin';
      margin?: number;
      /** Self-adversarial temperature α (0 = uniform weights). */
      adversarialTemperature?: number;
      /** Resample negatives that are known training triples. */
      filtered?: boolean;
    };

export interface KgTrainOptions {
  epochs: number;
  batchSize: number;
  optimizer: OptimizerOptions;
  objective: KgObjective;
  /** N3 (Lacroix et al. 2018) or squared L2 on the batch's factors, times `weight`. */
  regularization?: { type: 'n3' | 'l2'; weight: number };
  /** Evaluate filtered MRR on `valid` every this many epochs (0: never) and keep the best weights. */
  evalEvery?: number;
  /** Stop after this many evaluations without a better validation MRR (0: never). */
  patience?: number;
  /** Evaluate on at most this many validation triples (a fixed random subset). */
  validationSample?: number;
  signal?: AbortSignal;
  onEpoch?: (log: KgEpochLog) => void;
}

export interface KgEpochLog {
  epoch: number;
  loss: number;
  /** Filtered MRR on validation, when evaluated this epoch. */
  validMrr?: number;
  ms: number;
}

export interface KgTrainResult {
  history: KgEpochLog[];
  /** Epoch whose weights the model holds at the end (best validation MRR, or the last). */
  bestEpoch: number;
  bestValidMrr: number | undefined;
}

function regularizer(
  factors: tf.Tensor2D[],
  reg: { type: 'n3' | 'l2'; weight: number },
): tf.Scalar {
  return tf.tidy(() => {
    const b = factors[0].shape[0];
    const p = reg.type === 'n3' ? 3 : 2;
    const total = factors.map((f) => tf.sum(tf.pow(tf.abs(f), p))).reduce((a, c) => tf.add(a, c));
    return tf.mul(total, reg.weight / b) as tf.Scalar;
  });
}

/**
 * Trains a KG embedding model (optionally with an encoder) on the training
 * triples: minibatches of shuffled triples, 1-vs-all or negative-sampling
 * objective, periodic filtered validation with the best weights restored.
 */
export function trainKnowledgeGraph(
  model: KgModel,
  data: KnowledgeGraphData,
  options: KgTrainOptions,
  rng: Rng,
): KgTrainResult {
  const numEntities = data.entities.length;
  const numRelations = data.relations.length;
  const n = data.train.heads.length;
  if (!(options.batchSize >= 1))
    throw new ValidationError(`batchSize must be ≥ 1, got ${options.batchSize}`);
  if (model.encoder) model.setGraph(data.train);
  const obj = options.objective;
  const trainFilter =
    obj.type === 'negative-sampling' && obj.filtered
      ? new TripleFilter([data.train], numEntities, numRelations)
      : undefined;
  const headProbability =
    obj.type === 'negative-sampling' && obj.sampler === 'bernoulli'
      ? bernoulliHeadProbability(data.train, numRelations)
      : undefined;
  const allFilter = new TripleFilter(
    [data.train, data.valid, data.test],
    numEntities,
    numRelations,
  );
  const validSet =
    options.validationSample && options.validationSample < data.valid.heads.length
      ? selectTriples(
          data.valid,
          rng
            .fork('validation-sample')
            .permutation(data.valid.heads.length)
            .slice(0, options.validationSample),
        )
      : data.valid;
  const optimizer = new ParamOptimizer(model.trainableParameters(), options.optimizer);
  const orderRng = rng.fork('order');
  const negRng = rng.fork('negatives');
  const history: KgEpochLog[] = [];
  let best: { mrr: number; epoch: number; state: Record<string, StoredTensor> } | undefined;
  let stale = 0;
  try {
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      if (options.signal?.aborted) throw new AbortedError(`stopped at epoch ${epoch}`);
      const t0 = performance.now();
      model.train();
      const order = orderRng.permutation(n);
      let lossSum = 0;
      let batches = 0;
      for (let start = 0; start < n; start += options.batchSize) {
        const batch = selectTriples(data.train, order.slice(start, start + options.batchSize));
        lossSum += optimizer.step(() =>
          batchLoss(model, batch, options, {
            numEntities,
            trainFilter,
            headProbability,
            rng: negRng,
          }),
        );
        batches++;
      }
      const log: KgEpochLog = { epoch, loss: lossSum / batches, ms: 0 };
      const every = options.evalEvery ?? 0;
      if (every > 0 && (epoch % every === 0 || epoch === options.epochs)) {
        const mrr = evaluateLinkPrediction(model, validSet, allFilter).both.mrr;
        log.validMrr = mrr;
        if (!best || mrr > best.mrr) {
          best = { mrr, epoch, state: snapshot(model) };
          stale = 0;
        } else if (options.patience && ++stale >= options.patience) {
          log.ms = performance.now() - t0;
          history.push(log);
          options.onEpoch?.(log);
          break;
        }
      }
      log.ms = performance.now() - t0;
      history.push(log);
      options.onEpoch?.(log);
    }
  } finally {
    optimizer.dispose();
  }
  if (best) model.loadStateDict(best.state);
  return {
    history,
    bestEpoch: best?.epoch ?? history.length,
    bestValidMrr: best?.mrr,
  };
}

/** Copies of the current weights (`stateDict()` hands out the live variables). */
function snapshot(model: KgModel): Record<string, StoredTensor> {
  return Object.fromEntries(
    Object.entries(model.stateDict()).map(([k, v]) => [
      k,
      {
        dtype: 'float32' as const,
        shape: [...v.shape],
        data: (v.dataSync() as Float32Array).slice(),
      },
    ]),
  );
}

interface BatchContext {
  numEntities: number;
  trainFilter: TripleFilter | undefined;
  headProbability: Float32Array | undefined;
  rng: Rng;
}

function batchLoss(
  model: KgModel,
  batch: Triples,
  options: KgTrainOptions,
  ctx: BatchContext,
): tf.Scalar {
  const obj = options.objective;
  const entities = model.entities();
  let loss: tf.Scalar;
  if (obj.type === '1-n') {
    const tails = oneVsAllLoss(
      model.scoreTails(batch.heads, batch.relations, entities),
      batch.tails,
      obj.labelSmoothing,
    );
    const heads = oneVsAllLoss(
      model.scoreHeads(batch.relations, batch.tails, entities),
      batch.heads,
      obj.labelSmoothing,
    );
    loss = tf.div(tf.add(tails, heads), 2) as tf.Scalar;
    if (options.regularization) {
      const reg = regularizer(model.factors(batch, entities), options.regularization);
      const regInv = model.options.reciprocal
        ? regularizer(model.factors(batch, entities, true), options.regularization)
        : reg;
      loss = tf.add(loss, tf.div(tf.add(reg, regInv), 2)) as tf.Scalar;
    }
  } else {
    const negatives = sampleNegatives(
      batch,
      {
        count: obj.count,
        sampler: obj.sampler,
        numEntities: ctx.numEntities,
        headProbability: ctx.headProbability,
        filter: ctx.trainFilter,
      },
      ctx.rng,
    );
    const pos = model.score(batch, entities);
    const neg = tf.reshape(model.score(negatives, entities), [
      batch.heads.length,
      obj.count,
    ]) as tf.Tensor2D;
    loss =
      obj.loss === 'margin'
        ? marginRankingLoss(pos, neg, obj.margin ?? 1)
        : negativeSamplingLoss(pos, neg, obj.adversarialTemperature ?? 0);
    if (options.regularization) {
      loss = tf.add(
        loss,
        regularizer(model.factors(batch, entities), options.regularization),
      ) as tf.Scalar;
    }
  }
  return loss;
}
