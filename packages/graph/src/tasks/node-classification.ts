import {
  defineEntry,
  type MeanStd,
  meanStd,
  type PublishedNumber,
  type ResultPlot,
  type ResultTable,
  Rng,
  type Task,
  type TaskContext,
  type TaskResult,
} from '@kd/core';
import type { PlanetoidGraph } from '@kd/data';
import { loadPlanetoid, sourceOf } from '@kd/data';
import { z } from 'zod';
import { planetoidData } from '../data.js';
import { GAT, GCN, type NodeModel } from '../node/models.js';
import { type NodeClassificationData, trainNodeClassifier } from '../node/train.js';
import { datasetSpec, fmt, meanCurve, RunLog } from './common.js';
import { nodePublished } from './published.js';

const rate = z.number().min(0).lt(1);

export const nodeModelSpec = z.strictObject({
  model: z.enum(['gcn', 'gat']),
  /** Name in tables (default: the model id). */
  label: z.string().min(1).optional(),
  hiddenChannels: z.number().int().positive().optional(),
  heads: z.number().int().positive().optional(),
  outHeads: z.number().int().positive().optional(),
  dropout: rate.optional(),
  optimizer: z.enum(['adam', 'adamw']).default('adam'),
  lr: z.number().positive(),
  weightDecay: z.number().min(0).default(5e-4),
  /** Parameter-name prefixes that decay (default all; Kipf & Welling: `[conv1.]`). */
  decay: z.array(z.string()).optional(),
  epochs: z.number().int().positive(),
  /** Early stopping: epochs without a better validation loss or accuracy (0: off). */
  patience: z.number().int().min(0).default(0),
});

export const nodeClassificationOptions = z.strictObject({
  datasets: z
    .array(datasetSpec(['cora', 'citeseer'] as const))
    .min(1)
    .prefault(['cora', 'citeseer']),
  models: z.array(nodeModelSpec).min(1),
  /** Runs per (dataset, model), seeded seed, seed + 1, …; mean ± std is reported. */
  seeds: z.number().int().min(1).default(3),
  /** Row-normalise the bag-of-words features (Kipf & Welling; PyG NormalizeFeatures). */
  normalizeFeatures: z.boolean().default(true),
});
export type NodeClassificationTaskOptions = z.output<typeof nodeClassificationOptions>;

interface RunRecord {
  testAcc: number;
  valAcc: number;
  finalTestAcc: number;
  bestEpoch: number;
  epochs: number;
  msPerEpoch: number;
  trainLoss: number[];
  valLoss: number[];
}

function buildModel(
  spec: z.output<typeof nodeModelSpec>,
  data: NodeClassificationData,
  rng: Rng,
): NodeModel {
  const common = {
    inChannels: data.x.shape[1],
    outChannels: data.numClasses,
    dropout: spec.dropout,
  };
  return spec.model === 'gcn'
    ? new GCN({ ...common, hiddenChannels: spec.hiddenChannels }, rng)
    : new GAT(
        {
          ...common,
          hiddenChannels: spec.hiddenChannels,
          heads: spec.heads,
          outHeads: spec.outHeads,
        },
        rng,
      );
}

async function loadGraph(
  ctx: TaskContext,
  name: 'cora' | 'citeseer',
  path: string | undefined,
): Promise<PlanetoidGraph> {
  const dir = path && ctx.resolvePath ? ctx.resolvePath(path) : path;
  if (ctx.registry.has('dataset', name)) {
    const handle = ctx.registry.create<{ load(split: 'all'): Promise<PlanetoidGraph> }>(
      'dataset',
      name,
      dir ? { path: dir } : {},
    );
    return handle.load('all');
  }
  return loadPlanetoid(name, sourceOf(dir));
}

/**
 * Planetoid node classification (Cora, CiteSeer; public split) with GCN and
 * GAT, each trained `seeds` times full-batch; reports test accuracy at the
 * epoch of best validation accuracy, mean ± std, beside the papers' numbers.
 */
export async function runNodeClassification(
  options: NodeClassificationTaskOptions,
  ctx: TaskContext,
): Promise<TaskResult> {
  const log = await RunLog.open<RunRecord>(ctx, options);
  const rows: ResultTable['rows'] = [];
  const plots: ResultPlot[] = [];
  const summary: Record<string, MeanStd | number | string> = {};
  const published: PublishedNumber[] = [];
  for (const ds of options.datasets) {
    const graph = await loadGraph(ctx, ds.name, ds.path);
    const data = planetoidData(graph, { normalizeFeatures: options.normalizeFeatures });
    const lines = [];
    for (const spec of options.models) {
      const label = spec.label ?? spec.model;
      const records: RunRecord[] = [];
      for (let s = 0; s < options.seeds; s++) {
        const seed = ctx.seed + s;
        const id = `${ds.name}/${label}/${seed}`;
        let rec = log.runs[id];
        if (!rec) {
          const stage = ctx.progress.stage(
            `${ds.name} ${label} seed ${seed}`,
            spec.epochs,
            'epochs',
          );
          const model = buildModel(spec, data, new Rng(seed));
          try {
            const res = trainNodeClassifier(model, data, {
              epochs: spec.epochs,
              patience: spec.patience,
              signal: ctx.signal,
              optimizer: {
                name: spec.optimizer,
                lr: spec.lr,
                weightDecay: spec.weightDecay,
                decay: spec.decay,
              },
              onEpoch: (e) =>
                stage.tick(1, { loss: fmt(e.trainLoss, 4), val: fmt(e.valAcc * 100) }),
            });
            rec = {
              testAcc: res.best.testAcc,
              valAcc: res.best.valAcc,
              finalTestAcc: res.final.testAcc,
              bestEpoch: res.best.epoch,
              epochs: res.history.length,
              msPerEpoch: res.history.reduce((a, h) => a + h.ms, 0) / res.history.length,
              trainLoss: res.history.map((h) => h.trainLoss),
              valLoss: res.history.map((h) => h.valLoss),
            };
            stage.done({ test: fmt(rec.testAcc * 100) });
          } finally {
            model.dispose();
          }
          await log.record(id, rec);
        }
        records.push(rec);
      }
      const key = `${ds.name}.${label}.test_acc`;
      const test = meanStd(records.map((r) => r.testAcc));
      summary[key] = test;
      const pub = nodePublished(ds.name, spec.model, key);
      if (pub) published.push(pub);
      rows.push({
        dataset: ds.name,
        model: label,
        test,
        val: meanStd(records.map((r) => r.valAcc)),
        final: meanStd(records.map((r) => r.finalTestAcc)),
        bestEpoch: meanStd(records.map((r) => r.bestEpoch)),
        ms: meanStd(records.map((r) => r.msPerEpoch)),
        published: pub ? `${(Number(pub.value) * 100).toFixed(1)}%` : null,
      });
      lines.push(
        meanCurve(
          `${label} train`,
          records.map((r) => r.trainLoss),
        ),
        meanCurve(
          `${label} validation`,
          records.map((r) => r.valLoss),
        ),
      );
    }
    plots.push({
      id: `loss-${ds.name}`,
      title: `${ds.name}: loss per epoch (mean over ${options.seeds} seeds)`,
      kind: 'line',
      xLabel: 'epoch',
      yLabel: 'cross-entropy',
      lines,
    });
  }
  return {
    task: 'node-classification',
    title: 'Planetoid node classification (public split)',
    summary,
    tables: [
      {
        id: 'accuracy',
        title: `Test accuracy at the epoch of best validation accuracy (mean ± std over ${options.seeds} seeds)`,
        columns: [
          { key: 'dataset', label: 'dataset', format: 'text' },
          { key: 'model', label: 'model', format: 'text' },
          { key: 'test', label: 'test acc', format: 'pct', digits: 1 },
          { key: 'val', label: 'val acc', format: 'pct', digits: 1 },
          { key: 'final', label: 'last-epoch test acc', format: 'pct', digits: 1 },
          { key: 'bestEpoch', label: 'selected epoch', format: 'float', digits: 0 },
          { key: 'ms', label: 'ms / epoch', format: 'ms', digits: 1 },
          { key: 'published', label: 'published', format: 'text' },
        ],
        rows,
      },
    ],
    plots,
    published,
    notes: [
      'Public Planetoid split (20 labelled nodes per class, 500 validation, 1,000 test); features row-normalised; both directions of each citation edge; self-loops added by the layers.',
      'Optimiser: @kd/optim Adam (torch.optim.Adam semantics: weight decay added to the gradient as L2; GCN decays only conv1, as Kipf & Welling and PyG examples/gcn.py).',
      'Model selection: test accuracy at the epoch with the best validation accuracy (ties: lower validation loss), as PyG examples report; the papers used early stopping on validation loss (GCN, window 10) or loss and accuracy (GAT, patience 100).',
      'Published numbers are single numbers (GCN) or mean ± std over 100 runs (GAT) from the papers; kd reports mean ± sample std over the seeds run here.',
    ],
  };
}

export const nodeClassificationTask = defineEntry({
  kind: 'task',
  id: 'node-classification',
  description:
    'Cora/CiteSeer (Planetoid split) node classification with GCN and GAT, mean ± std over seeds vs the papers',
  options: nodeClassificationOptions,
  create: (options): Task => ({ run: (ctx) => runNodeClassification(options, ctx) }),
});
