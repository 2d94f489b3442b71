import { initBackend, Rng } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  evaluateLinkPrediction,
  GAT,
  GCN,
  KgModel,
  type KgTrainOptions,
  TripleFilter,
  trainKnowledgeGraph,
  trainNodeClassifier,
} from '../src/index.js';
import { loadKg } from './helpers/kg.js';
import { loadPlanetoid } from './helpers/planetoid.js';

// End-to-end checks on the real bundled data, kept to a few seconds each.
// Accuracy floors are well below what the settings reach (GCN ≈ 0.77,
// GAT ≈ 0.7 at these epoch counts) so only a real regression fails them.

describe('node classification on Cora (wasm)', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
  });

  it('GCN learns, memory stays flat across epochs, and a seed reproduces the run', async () => {
    const data = await loadPlanetoid('cora');
    const counts: number[] = [];
    const run = () => {
      const model = new GCN(
        { inChannels: data.x.shape[1], outChannels: data.numClasses },
        new Rng(0),
      );
      const res = trainNodeClassifier(model, data, {
        epochs: 30,
        optimizer: { name: 'adam', lr: 0.01, weightDecay: 5e-4, decay: ['conv1.'] },
        onEpoch: () => counts.push(tf.memory().numTensors),
      });
      model.dispose();
      return res;
    };
    const before = tf.memory().numTensors;
    const a = run();
    expect(a.best.testAcc).toBeGreaterThan(0.7);
    expect(a.final.trainLoss).toBeLessThan(a.history[0].trainLoss);
    // Flat: the same number of live tensors after every epoch, nothing left after.
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    const b = run();
    expect(b.history.map((h) => h.trainLoss)).toEqual(a.history.map((h) => h.trainLoss));
  });

  it('GAT learns with attention dropout and early stopping', async () => {
    const data = await loadPlanetoid('cora');
    const model = new GAT(
      { inChannels: data.x.shape[1], outChannels: data.numClasses },
      new Rng(1),
    );
    const counts: number[] = [];
    const res = trainNodeClassifier(model, data, {
      epochs: 12,
      patience: 100,
      optimizer: { name: 'adam', lr: 0.005, weightDecay: 5e-4 },
      onEpoch: () => counts.push(tf.memory().numTensors),
    });
    expect(res.best.valAcc).toBeGreaterThan(0.5);
    expect(new Set(counts.slice(1)).size).toBe(1);
    model.dispose();
  });
});

describe('link prediction on Nations (wasm)', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
  });

  const objectives: [
    string,
    Partial<KgTrainOptions> & {
      scorer: 'complex' | 'rotate' | 'transe' | 'distmult';
      encoder?: 'rgcn' | 'gat';
    },
  ][] = [
    [
      'ComplEx, 1-vs-all, N3',
      {
        scorer: 'complex',
        objective: { type: '1-n' },
        regularization: { type: 'n3', weight: 1e-3 },
      },
    ],
    [
      'RotatE, Bernoulli negatives, self-adversarial',
      {
        scorer: 'rotate',
        objective: {
          type: 'negative-sampling',
          count: 8,
          sampler: 'bernoulli',
          loss: 'logistic',
          adversarialTemperature: 1,
          filtered: true,
        },
        epochs: 9,
        optimizer: { name: 'adam', lr: 0.05 },
      },
    ],
    [
      'TransE, uniform negatives, margin',
      {
        scorer: 'transe',
        objective: {
          type: 'negative-sampling',
          count: 4,
          sampler: 'uniform',
          loss: 'margin',
          margin: 2,
        },
      },
    ],
    [
      'R-GCN encoder + DistMult, 1-vs-all',
      { scorer: 'distmult', encoder: 'rgcn', objective: { type: '1-n' } },
    ],
    [
      'GAT encoder + DistMult, 1-vs-all',
      { scorer: 'distmult', encoder: 'gat', objective: { type: '1-n' } },
    ],
  ];

  for (const [name, cfg] of objectives) {
    it(`${name}: learns; memory flat; best weights restored`, async () => {
      const data = await loadKg('nations');
      const model = new KgModel(
        {
          numEntities: data.entities.length,
          numRelations: data.relations.length,
          scorer: cfg.scorer,
          dim: 16,
          gamma: 6,
          reciprocal: cfg.objective?.type === '1-n',
          initScale: cfg.encoder ? 0.1 : undefined,
          encoder:
            cfg.encoder === 'rgcn'
              ? { type: 'rgcn', numBases: 4 }
              : cfg.encoder === 'gat'
                ? { type: 'gat', heads: 2 }
                : undefined,
        },
        new Rng(3),
      );
      const filter = new TripleFilter(
        [data.train, data.valid, data.test],
        data.entities.length,
        data.relations.length,
      );
      model.setGraph(data.train);
      const untrained = evaluateLinkPrediction(model, data.test, filter).both.mrr;
      const counts: number[] = [];
      const res = trainKnowledgeGraph(
        model,
        data,
        {
          epochs: cfg.epochs ?? 6,
          batchSize: 256,
          optimizer: cfg.optimizer ?? { name: 'adam', lr: 0.02 },
          objective: cfg.objective!,
          regularization: cfg.regularization,
          evalEvery: 3,
          onEpoch: () => counts.push(tf.memory().numTensors),
        },
        new Rng(4),
      );
      expect(new Set(counts.slice(1)).size).toBe(1);
      const trained = evaluateLinkPrediction(model, data.test, filter).both.mrr;
      expect(trained).toBeGreaterThan(untrained + 0.05);
      // The model holds the best validation weights: re-evaluating valid reproduces that MRR.
      const validMrr = evaluateLinkPrediction(model, data.valid, filter).both.mrr;
      expect(validMrr).toBeCloseTo(res.bestValidMrr!, 6);
      model.dispose();
    });
  }
});
