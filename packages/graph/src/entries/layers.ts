import { defineEntry, Rng } from '@kd/core';
import { z } from 'zod';
import { KgModel } from '../kg/model.js';
import { GATConv } from '../layers/gat.js';
import { GCNConv } from '../layers/gcn.js';
import { RGCNConv } from '../layers/rgcn.js';
import { SAGEConv } from '../layers/sage.js';
import { GAT, GCN } from '../node/models.js';

const channels = z.number().int().positive();
/** Seed of the `Rng` the weights (and dropout masks) are drawn from. */
const seed = z.number().int().nonnegative().default(0);
const rate = z.number().min(0).lt(1);

export const gcnLayerOptions = z.strictObject({
  inChannels: channels,
  outChannels: channels,
  improved: z.boolean().default(false),
  cached: z.boolean().default(false),
  addSelfLoops: z.boolean().default(true),
  normalize: z.boolean().default(true),
  bias: z.boolean().default(true),
  seed,
});

export const gatLayerOptions = z.strictObject({
  inChannels: channels,
  outChannels: channels,
  heads: channels.default(1),
  concat: z.boolean().default(true),
  negativeSlope: z.number().min(0).default(0.2),
  dropout: rate.default(0),
  addSelfLoops: z.boolean().default(true),
  bias: z.boolean().default(true),
  seed,
});

export const rgcnLayerOptions = z
  .strictObject({
    inChannels: channels,
    outChannels: channels,
    numRelations: channels,
    numBases: channels.optional(),
    numBlocks: channels.optional(),
    aggr: z.enum(['mean', 'sum', 'add']).default('mean'),
    rootWeight: z.boolean().default(true),
    bias: z.boolean().default(true),
    seed,
  })
  .refine((o) => o.numBases === undefined || o.numBlocks === undefined, {
    message: 'give numBases or numBlocks, not both',
    path: ['numBlocks'],
  });

export const sageLayerOptions = z.strictObject({
  inChannels: channels,
  outChannels: channels,
  aggr: z.enum(['mean', 'max', 'sum']).default('mean'),
  normalize: z.boolean().default(false),
  rootWeight: z.boolean().default(true),
  bias: z.boolean().default(true),
  seed,
});

const withoutSeed = <T extends { seed: number }>(o: T) => {
  const { seed: _s, ...rest } = o;
  return rest;
};

export const layerEntries = [
  defineEntry({
    kind: 'layer',
    id: 'gcn',
    description:
      'GCNConv (Kipf & Welling 2017): symmetric-normalised propagation with self-loops, as PyG',
    options: gcnLayerOptions,
    create: (o) => new GCNConv(withoutSeed(o), new Rng(o.seed)),
  }),
  defineEntry({
    kind: 'layer',
    id: 'gat',
    description:
      'GATConv (Veličković et al. 2018): multi-head attention over incoming edges and self-loop, as PyG',
    options: gatLayerOptions,
    create: (o) => new GATConv(withoutSeed(o), new Rng(o.seed)),
  }),
  defineEntry({
    kind: 'layer',
    id: 'rgcn',
    description:
      'RGCNConv (Schlichtkrull et al. 2018): per-relation mean aggregation, basis/block decomposition, as PyG',
    options: rgcnLayerOptions,
    create: (o) => new RGCNConv(withoutSeed(o), new Rng(o.seed)),
  }),
  defineEntry({
    kind: 'layer',
    id: 'graphsage',
    description: 'SAGEConv (Hamilton et al. 2017): W₁·mean of neighbours + W₂·self, as PyG',
    options: sageLayerOptions,
    create: (o) => new SAGEConv(withoutSeed(o), new Rng(o.seed)),
  }),
];

export const gcnModelOptions = z.strictObject({
  inChannels: channels,
  hiddenChannels: channels.default(16),
  outChannels: channels,
  dropout: rate.default(0.5),
  cached: z.boolean().default(true),
  seed,
});

export const gatModelOptions = z.strictObject({
  inChannels: channels,
  hiddenChannels: channels.default(8),
  heads: channels.default(8),
  outChannels: channels,
  outHeads: channels.default(1),
  dropout: rate.default(0.6),
  seed,
});

export const kgEncoderOptions = z.strictObject({
  type: z.enum(['rgcn', 'gat']),
  layers: channels.default(2),
  numBases: channels.optional(),
  numBlocks: channels.optional(),
  heads: channels.optional(),
  dropout: rate.default(0),
});

export const kgModelOptions = z.strictObject({
  numEntities: channels,
  numRelations: channels,
  scorer: z.enum(['transe', 'distmult', 'complex', 'rotate']),
  dim: channels,
  gamma: z.number().positive().optional(),
  p: z.union([z.literal(1), z.literal(2)]).optional(),
  reciprocal: z.boolean().default(false),
  init: z.enum(['uniform', 'normal']).optional(),
  initScale: z.number().positive().optional(),
  encoder: kgEncoderOptions.optional(),
  seed,
});

export const modelEntries = [
  defineEntry({
    kind: 'model',
    id: 'gcn',
    description: "Kipf & Welling's two-layer GCN node classifier (PyG examples/gcn.py)",
    options: gcnModelOptions,
    create: (o) => new GCN(withoutSeed(o), new Rng(o.seed)),
  }),
  defineEntry({
    kind: 'model',
    id: 'gat',
    description: "Veličković et al.'s two-layer GAT node classifier (PyG examples/gat.py)",
    options: gatModelOptions,
    create: (o) => new GAT(withoutSeed(o), new Rng(o.seed)),
  }),
  defineEntry({
    kind: 'model',
    id: 'kg-embedding',
    description:
      'Knowledge-graph embedding (TransE, DistMult, ComplEx, RotatE) with optional R-GCN/GAT encoder',
    options: kgModelOptions,
    create: (o) => new KgModel(withoutSeed(o), new Rng(o.seed)),
  }),
];
