import { ShapeError } from '@kd/core';
import { type Module, type TapRequest, withTaps } from '@kd/nn';
import * as tf from '@tensorflow/tfjs-core';
import type { FeatureKind } from './losses/entries.js';

/** Layered features: everything but the logits. */
export type LayerFeature = Exclude<FeatureKind, 'logits'>;
export const LAYER_FEATURES: readonly LayerFeature[] = [
  'hidden',
  'attentions',
  'scores',
  'queries',
  'keys',
  'values',
];

/** Which features (and which layers of each) a forward pass must report. */
export interface FeatureRequest {
  logits: boolean;
  /** Layer numbers per feature: 0…L for `hidden` (0 = embeddings), 1…L for the rest. */
  layers: Partial<Record<LayerFeature, number[]>>;
}

/** One forward pass's features: logits and the requested layers by number. */
export interface Features {
  logits?: tf.Tensor;
  layers: Partial<Record<LayerFeature, Map<number, tf.Tensor>>>;
}

/** Everything a model's forward takes: ids, mask and segment ids, `[B, T]` each. */
export interface ModelInputs {
  inputIds: tf.Tensor | number[][];
  attentionMask?: tf.Tensor | number[][];
  tokenTypeIds?: tf.Tensor | number[][];
}

/** How to run a model: the default calls `model.forward(inputs)` and reads `logits`. */
export type ForwardFn = (model: Module, inputs: ModelInputs) => { logits: tf.Tensor };

export const defaultForward: ForwardFn = (model, inputs) =>
  (model as unknown as { forward(i: ModelInputs): { logits: tf.Tensor } }).forward(inputs);

export function disposeFeatures(f: Features | undefined): void {
  if (!f) return;
  f.logits?.dispose();
  for (const m of Object.values(f.layers)) for (const t of m?.values() ?? []) t.dispose();
}

export function featureTensors(f: Features): tf.Tensor[] {
  const out: tf.Tensor[] = f.logits ? [f.logits] : [];
  for (const m of Object.values(f.layers)) for (const t of m?.values() ?? []) out.push(t);
  return out;
}

function tapRequest(request: FeatureRequest): TapRequest {
  const r: TapRequest = {};
  for (const k of LAYER_FEATURES) if (request.layers[k]?.length) r[k] = true;
  return r;
}

/**
 * Runs `forward` with @kd/nn taps and keeps the requested features. Tensors
 * not asked for are disposed; what is returned belongs to the caller's scope
 * (inside `tf.variableGrads`, losses on it backpropagate).
 */
export function runWithFeatures(
  model: Module,
  forward: ForwardFn,
  inputs: ModelInputs,
  request: FeatureRequest,
  where: string,
): Features {
  const req = tapRequest(request);
  const { output, taps } = withTaps(model, req, () => forward(model, inputs));
  const out: Features = { layers: {} };
  // Other outputs (a decoder's lastHiddenState, a pooler output) are not features.
  for (const v of Object.values(output)) {
    if (v instanceof tf.Tensor && v !== output.logits) v.dispose();
  }
  if (request.logits) out.logits = output.logits;
  else output.logits.dispose();
  for (const k of LAYER_FEATURES) {
    const list = taps[k];
    const wanted = request.layers[k];
    if (!wanted?.length) {
      for (const t of list) t.dispose();
      continue;
    }
    const offset = k === 'hidden' ? 0 : 1;
    const map = new Map<number, tf.Tensor>();
    for (const l of wanted) {
      const t = list[l - offset];
      if (!t) {
        throw new ShapeError(
          `${where}: asked for ${k} of layer ${l}, but the forward pass reported ${list.length} ${k} tensors`,
          { where },
        );
      }
      map.set(l, t);
    }
    list.forEach((t, i) => {
      if (!wanted.includes(i + offset)) t.dispose();
    });
    out.layers[k] = map;
  }
  return out;
}

/** Depth, widths and head counts of a model, as its taps report them. */
export interface ModelShape {
  /** Transformer blocks (attention layers). */
  layers: number;
  /** Width of `hidden` for layers 0…L. */
  hiddenSizes: number[];
  /** Attention heads per layer (the `attentions` tap's axis 1). */
  heads: number[];
  /** Key/value heads per layer (`values` axis 1; fewer in grouped-query attention). */
  kvHeads: number[];
  /** Per-head width of queries, keys and values. */
  headDims: number[];
  /** Last axis of the logits: vocabulary or classes. */
  outputSize: number;
  /** Rank of the logits: 2 (`[B, C]`) or 3 (`[B, T, V]`). */
  outputRank: number;
}

/**
 * Probes a model with one tiny forward pass (ids `[[1, 2, 1, 2]]`) and reads
 * its depth and widths from the taps, so the distiller can check layer maps
 * and create projections before the first training step, whatever the
 * architecture. Runs in eval mode (no dropout draws) and restores the
 * modules' training flags.
 */
export function probeModel(model: Module, forward: ForwardFn = defaultForward): ModelShape {
  // In eval mode, so the probe draws nothing from the dropout streams.
  const modules = model.namedModules().map(([, m]) => m);
  const modes = modules.map((m) => m.training);
  model.eval();
  try {
    return probe(model, forward);
  } finally {
    modules.forEach((m, i) => {
      m.training = modes[i];
    });
  }
}

function probe(model: Module, forward: ForwardFn): ModelShape {
  return tf.tidy(() => {
    const { output, taps } = withTaps(model, { hidden: true, attentions: true, values: true }, () =>
      forward(model, { inputIds: [[1, 2, 1, 2]] }),
    );
    const logits = output.logits;
    return {
      layers: taps.attentions.length,
      hiddenSizes: taps.hidden.map((t) => t.shape[t.rank - 1]),
      heads: taps.attentions.map((t) => t.shape[1] as number),
      kvHeads: taps.values.map((t) => t.shape[1] as number),
      headDims: taps.values.map((t) => t.shape[3] as number),
      outputSize: logits.shape[logits.rank - 1],
      outputRank: logits.rank,
    };
  });
}
