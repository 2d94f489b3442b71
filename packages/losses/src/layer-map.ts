import { NotFoundError, ValidationError } from '@kd/core';
import { z } from 'zod';

/**
 * Which student layer learns from which teacher layer. Layers are numbered
 * from 1 (the output of transformer block 1) to the depth; for hidden states
 * 0 is the embeddings output (@kd/nn's `hidden` tap index), and for attention
 * maps layer l is block l's attention. Strategies (M student layers, N
 * teacher layers):
 *
 * - `uniform` (TinyBERT; the default): student m ↔ teacher round(m·N/M) for
 *   m = 1…M, so the last layers always meet; for hidden states also 0 ↔ 0.
 * - `skip` (PKD-Skip): m ↔ round(m·N/M) for m = 1…M−1 (the last layer is
 *   left to the output loss).
 * - `last-k` (PKD-Last): student layers 1…k ↔ the teacher's k layers before
 *   its last, N−k…N−1 (k defaults to M−1, which is PKD-Last).
 * - `final` (MiniLM v1): M ↔ N.
 * - explicit pairs `[[student, teacher], …]` (TextBrewer's `layer_S`, `layer_T`).
 */
export type LayerMapSpec =
  | 'uniform'
  | 'skip'
  | 'last-k'
  | 'final'
  | { strategy: 'uniform' | 'skip' | 'final'; embeddings?: boolean }
  | { strategy: 'last-k'; k?: number }
  | readonly (readonly [number, number])[];

/** One student-layer ↔ teacher-layer pair. */
export type LayerPair = readonly [student: number, teacher: number];

export const layerMapSchema = z.union([
  z.enum(['uniform', 'skip', 'last-k', 'final']),
  z.strictObject({
    strategy: z.enum(['uniform', 'skip', 'final']),
    embeddings: z.boolean().optional().describe('also match the embedding outputs (layer 0)'),
  }),
  z.strictObject({ strategy: z.literal('last-k'), k: z.number().int().positive().optional() }),
  z
    .array(z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]))
    .min(1)
    .describe('explicit [student, teacher] layer pairs'),
]);

export interface ResolveLayerMapOptions {
  studentLayers: number;
  teacherLayers: number;
  /** Hidden states have layer 0 (embeddings); attention maps start at 1. */
  withEmbeddings: boolean;
  /** For messages: `terms[2] (hidden-mse)`. */
  where?: string;
}

/**
 * Turns a strategy (or explicit pairs) into pairs for these depths, and
 * checks every layer exists. A layer that does not is a `NotFoundError`
 * naming the valid range, raised when the distiller is built, before any
 * training step.
 */
export function resolveLayerMap(
  spec: LayerMapSpec | undefined,
  options: ResolveLayerMapOptions,
): LayerPair[] {
  const { studentLayers: m, teacherLayers: n, withEmbeddings } = options;
  const where = options.where ?? 'layer map';
  const first = withEmbeddings ? 0 : 1;
  const check = (pairs: LayerPair[]): LayerPair[] => {
    for (const [s, t] of pairs) {
      for (const [side, l, max] of [
        ['student', s, m],
        ['teacher', t, n],
      ] as const) {
        if (!Number.isInteger(l) || l < first || l > max) {
          throw new NotFoundError(
            `${side} layer ${l} does not exist: the ${side} has ${max} layers, so ${withEmbeddings ? 'hidden states are 0 (embeddings) … ' : 'attention layers are 1 … '}${max}`,
            [],
            { where },
          );
        }
      }
    }
    return pairs;
  };
  if (Array.isArray(spec)) return check(spec.map(([s, t]) => [s, t] as const));
  const obj = (typeof spec === 'object' ? spec : { strategy: spec ?? 'uniform' }) as {
    strategy: string;
    embeddings?: boolean;
    k?: number;
  };
  if (m < 1 || n < 1) {
    throw new ValidationError(
      `a layer map needs ≥ 1 layer on each side (student ${m}, teacher ${n})`,
      [],
      {
        where,
      },
    );
  }
  const at = (i: number) => Math.max(1, Math.round((i * n) / m));
  const pairs: LayerPair[] = [];
  switch (obj.strategy) {
    case 'uniform':
      if (withEmbeddings && obj.embeddings !== false) pairs.push([0, 0]);
      for (let i = 1; i <= m; i++) pairs.push([i, at(i)]);
      break;
    case 'skip':
      if (withEmbeddings && obj.embeddings === true) pairs.push([0, 0]);
      for (let i = 1; i < m; i++) pairs.push([i, at(i)]);
      break;
    case 'last-k': {
      const k = obj.k ?? m - 1;
      if (k > m || k > n - 1) {
        throw new ValidationError(
          `last-k with k = ${k} needs k ≤ student layers (${m}) and k ≤ teacher layers − 1 (${n - 1})`,
          [],
          { where },
        );
      }
      for (let i = 1; i <= k; i++) pairs.push([i, n - k + i - 1]);
      break;
    }
    case 'final':
      if (withEmbeddings && obj.embeddings === true) pairs.push([0, 0]);
      pairs.push([m, n]);
      break;
    default:
      throw new ValidationError(`unknown layer-map strategy ${JSON.stringify(obj.strategy)}`, [], {
        where,
      });
  }
  if (pairs.length === 0) {
    throw new ValidationError(
      `the ${obj.strategy} map pairs no layers for a ${m}-layer student and a ${n}-layer teacher`,
      [],
      { where },
    );
  }
  return check(pairs);
}
