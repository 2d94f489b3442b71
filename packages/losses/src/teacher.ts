import { NotFoundError, ShapeError, ValidationError } from '@kd/core';
import type { Module } from '@kd/nn';
import * as tf from '@tensorflow/tfjs-core';
import {
  defaultForward,
  type FeatureRequest,
  type Features,
  type ForwardFn,
  LAYER_FEATURES,
  type LayerFeature,
  type ModelInputs,
  type ModelShape,
  probeModel,
  runWithFeatures,
} from './features.js';

/** One training batch for the distiller. */
export interface DistillBatch {
  /** `[B, T]` ids, attention mask (1 = token, 0 = padding) and segment ids. */
  inputs: ModelInputs;
  /** Gold labels for hard-label losses: `[B]` classes or `[B, T]` tokens. */
  labels?: tf.Tensor | number[] | number[][];
  /** Rows of the transfer set in this batch (what precomputed teacher outputs are looked up by). */
  indices?: number[];
}

/**
 * Where teacher features come from: a live model run forward per batch, or
 * outputs computed once (here, or by PyTorch elsewhere) and looked up by
 * example index. Returned tensors belong to the caller.
 */
export interface TeacherSource {
  readonly shape: ModelShape;
  features(batch: DistillBatch, request: FeatureRequest): Features | Promise<Features>;
}

/** Throws unless every parameter of `teacher` is frozen (a teacher only runs forward). */
export function assertFrozen(teacher: Module): void {
  const trainable = teacher.namedParameters({ trainableOnly: true });
  if (trainable.length > 0) {
    const count = trainable.reduce((s, [, p]) => s + p.size, 0);
    throw new ValidationError(
      `the teacher has ${trainable.length} trainable parameter tensors (${count} weights, e.g. "${trainable[0][0]}"); a teacher must be frozen: call teacher.freeze() before distilling`,
      [],
      { where: 'Distiller teacher' },
    );
  }
}

/** A frozen model run forward (in eval mode) on every batch. */
export class LiveTeacher implements TeacherSource {
  readonly shape: ModelShape;

  constructor(
    readonly model: Module,
    readonly forward: ForwardFn = defaultForward,
  ) {
    assertFrozen(model);
    model.eval();
    this.shape = probeModel(model, forward);
  }

  features(batch: DistillBatch, request: FeatureRequest): Features {
    return runWithFeatures(this.model, this.forward, batch.inputs, request, 'teacher');
  }
}

/** Feature key in stores and shard files: `logits`, `hidden.0`, `attentions.3`. */
export function featureKey(feature: 'logits' | LayerFeature, layer?: number): string {
  return feature === 'logits' ? 'logits' : `${feature}.${layer}`;
}

export function parseFeatureKey(key: string): { feature: 'logits' | LayerFeature; layer?: number } {
  if (key === 'logits') return { feature: 'logits' };
  const dot = key.lastIndexOf('.');
  const feature = key.slice(0, dot) as LayerFeature;
  const layer = Number(key.slice(dot + 1));
  if (dot < 0 || !LAYER_FEATURES.includes(feature) || !Number.isInteger(layer)) {
    throw new ValidationError(`not a teacher feature key: ${JSON.stringify(key)}`, [], {
      where: 'teacher outputs',
    });
  }
  return { feature, layer };
}

/** The keys a request names. */
export function requestKeys(request: FeatureRequest): string[] {
  const keys = request.logits ? ['logits'] : [];
  for (const f of LAYER_FEATURES)
    for (const l of request.layers[f] ?? []) keys.push(featureKey(f, l));
  return keys;
}

/**
 * Per-example teacher outputs: for each feature key, rows of a fixed shape
 * (`logits` `[T, V]`, `hidden.l` `[T, d]`, `attentions.l` `[H, T, S]`, …).
 */
export interface TeacherOutputStore {
  readonly shape: ModelShape;
  /** Number of examples (rows). */
  readonly count: number;
  /** Row shape of each stored feature key. */
  readonly rowShapes: Readonly<Record<string, readonly number[]>>;
  /** The rows `indices` of one feature, concatenated. */
  read(key: string, indices: readonly number[]): Float32Array | Promise<Float32Array>;
}

/** Teacher outputs held in memory (what `precomputeTeacherOutputs` returns). */
export class MemoryTeacherOutputs implements TeacherOutputStore {
  constructor(
    readonly shape: ModelShape,
    readonly count: number,
    readonly rowShapes: Readonly<Record<string, readonly number[]>>,
    /** Per key, `count × rowSize` values. */
    readonly data: Readonly<Record<string, Float32Array>>,
  ) {
    for (const [k, s] of Object.entries(rowShapes)) {
      const size = s.reduce((a, b) => a * b, 1);
      if (!data[k] || data[k].length !== size * count) {
        throw new ShapeError(
          `feature ${k}: expected ${count} rows of [${s.join(', ')}] (${size * count} values), got ${data[k]?.length ?? 0}`,
          { where: 'MemoryTeacherOutputs' },
        );
      }
    }
  }

  read(key: string, indices: readonly number[]): Float32Array {
    const shape = this.rowShapes[key];
    if (!shape) throw missingKey(key, Object.keys(this.rowShapes));
    const size = shape.reduce((a, b) => a * b, 1);
    const out = new Float32Array(size * indices.length);
    indices.forEach((r, i) => {
      if (!(Number.isInteger(r) && r >= 0 && r < this.count)) {
        throw new ShapeError(`example index ${r} is outside 0…${this.count - 1}`, {
          where: 'teacher outputs',
        });
      }
      out.set(this.data[key].subarray(r * size, (r + 1) * size), i * size);
    });
    return out;
  }
}

export function missingKey(key: string, available: string[]): NotFoundError {
  return new NotFoundError(
    `the precomputed teacher outputs hold no "${key}"; they hold ${available.join(', ') || 'nothing'}. Precompute them with the distiller's teacherRequest`,
    available,
    { where: 'teacher outputs' },
  );
}

/** Teacher features looked up by `batch.indices` in a store of precomputed outputs. */
export class PrecomputedTeacher implements TeacherSource {
  readonly shape: ModelShape;

  constructor(readonly store: TeacherOutputStore) {
    this.shape = store.shape;
  }

  /** Throws (before training) unless the store holds every key `request` needs. */
  check(request: FeatureRequest): void {
    for (const k of requestKeys(request)) {
      if (!this.store.rowShapes[k]) throw missingKey(k, Object.keys(this.store.rowShapes));
    }
  }

  async features(batch: DistillBatch, request: FeatureRequest): Promise<Features> {
    const indices = batch.indices;
    if (!indices) {
      throw new ValidationError(
        'precomputed teacher outputs are looked up by example: give each batch its `indices`',
        [],
        { where: 'PrecomputedTeacher' },
      );
    }
    const out: Features = { layers: {} };
    for (const key of requestKeys(request)) {
      const rowShape = this.store.rowShapes[key];
      if (!rowShape) throw missingKey(key, Object.keys(this.store.rowShapes));
      const data = await this.store.read(key, indices);
      const t = tf.tensor(data, [indices.length, ...rowShape], 'float32');
      const { feature, layer } = parseFeatureKey(key);
      if (feature === 'logits') out.logits = t;
      else {
        const map = out.layers[feature] ?? new Map<number, tf.Tensor>();
        map.set(layer as number, t);
        out.layers[feature] = map;
      }
    }
    return out;
  }
}

/**
 * Runs a frozen teacher once over `batches` (each with `indices`; equal
 * sequence lengths) and keeps the features `request` names, so several
 * student runs reuse them (TextBrewer's logit caching, for every feature).
 */
export async function precomputeTeacherOutputs(
  teacher: Module,
  batches: Iterable<DistillBatch> | AsyncIterable<DistillBatch>,
  request: FeatureRequest,
  options: { forward?: ForwardFn; count?: number } = {},
): Promise<MemoryTeacherOutputs> {
  const keys = requestKeys(request);
  if (keys.length === 0) {
    throw new ValidationError(
      'the request asks for no teacher outputs (no logits, no layers); nothing to precompute',
      [],
      { where: 'precomputeTeacherOutputs' },
    );
  }
  const source = new LiveTeacher(teacher, options.forward);
  const rowShapes: Record<string, number[]> = {};
  const chunks: Record<string, { indices: number[]; data: Float32Array }[]> = {};
  let count = options.count ?? 0;
  for await (const batch of batches as AsyncIterable<DistillBatch>) {
    if (!batch.indices) {
      throw new ValidationError('each batch needs `indices` (its rows of the transfer set)', [], {
        where: 'precomputeTeacherOutputs',
      });
    }
    const f = source.features(batch, request);
    try {
      for (const key of keys) {
        const { feature, layer } = parseFeatureKey(key);
        const t = feature === 'logits' ? f.logits : f.layers[feature]?.get(layer as number);
        if (!t) throw missingKey(key, []);
        const row = t.shape.slice(1);
        if (!rowShapes[key]) rowShapes[key] = row;
        else if (
          row.some((d, i) => d !== rowShapes[key][i]) ||
          row.length !== rowShapes[key].length
        ) {
          throw new ShapeError(
            `feature ${key} has rows [${row.join(', ')}] in one batch and [${rowShapes[key].join(', ')}] in another; pad every batch to one length`,
            { where: 'precomputeTeacherOutputs' },
          );
        }
        (chunks[key] ??= []).push({
          indices: batch.indices,
          data: (await t.data()) as Float32Array,
        });
      }
    } finally {
      f.logits?.dispose();
      for (const m of Object.values(f.layers)) for (const t of m?.values() ?? []) t.dispose();
    }
    for (const i of batch.indices) count = Math.max(count, i + 1);
  }
  const filled = new Uint8Array(count);
  for (const c of chunks[keys[0]] ?? []) for (const r of c.indices) filled[r] = 1;
  const missing = filled.indexOf(0);
  if (missing >= 0) {
    throw new ValidationError(
      `no batch covered example ${missing}; the batches must cover rows 0…${count - 1}`,
      [],
      { where: 'precomputeTeacherOutputs' },
    );
  }
  const data: Record<string, Float32Array> = {};
  for (const key of keys) {
    const size = (rowShapes[key] ?? []).reduce((a, b) => a * b, 1);
    const all = new Float32Array(size * count);
    for (const c of chunks[key] ?? []) {
      c.indices.forEach((r, i) => {
        all.set(c.data.subarray(i * size, (i + 1) * size), r * size);
      });
    }
    data[key] = all;
  }
  return new MemoryTeacherOutputs(source.shape, count, rowShapes, data);
}
