import {
  closestNames,
  ShapeError,
  type StoredTensor,
  toStoredTensor,
  ValidationError,
} from '@kd/core';
import type { Parameter } from '@kd/nn';
import * as tf from '@tensorflow/tfjs-core';
import { LoraEmbedding, type LoraLayer, LoraLinear } from './layers/lora-layer.js';
import type { LoraModel } from './model.js';

/** Every PEFT LoRA tensor key starts with this (`PeftModel.base_model.model`). */
export const PEFT_PREFIX = 'base_model.model.';

/** Suffixes of adapter tensors, after the module path (adapter name removed, as PEFT saves). */
export const ADAPTER_SUFFIXES = [
  'lora_A.weight',
  'lora_B.weight',
  'lora_B.bias',
  'lora_magnitude_vector',
  'lora_embedding_A',
  'lora_embedding_B',
] as const;
export type AdapterSuffix = (typeof ADAPTER_SUFFIXES)[number];

/** Splits `<path>.<suffix>` for an adapter suffix; undefined for other keys. */
export function splitAdapterKey(key: string): { path: string; suffix: AdapterSuffix } | undefined {
  // Older PEFT wrote the magnitude as a ParameterDict entry; some tools add `.weight`.
  const k = key.endsWith('.lora_magnitude_vector.weight') ? key.slice(0, -'.weight'.length) : key;
  for (const suffix of ADAPTER_SUFFIXES) {
    if (k.endsWith(`.${suffix}`)) return { path: k.slice(0, -(suffix.length + 1)), suffix };
  }
  return undefined;
}

export interface AdapterStateDictOptions {
  /**
   * Save a PiSSA/OLoRA adapter as the plain LoRA adapter that gives the same
   * model on the *original* base (PEFT's
   * `path_initial_model_for_weight_conversion`): rank 2r with
   * `A' = [A; A₀]`, `B' = [B, −B₀]`.
   */
  convertToLora?: boolean;
}

/**
 * Adapter `name`'s tensors under PEFT's names
 * (`get_peft_model_state_dict`): `base_model.model.<path>.lora_A.weight`
 * `[r, in]`, `.lora_B.weight` `[out, r]` (`.lora_B.bias` with `lora_bias`),
 * `.lora_magnitude_vector` `[out]` for DoRA, `.lora_embedding_A` `[r, num]`
 * and `.lora_embedding_B` `[dim, r]` for embeddings, `modules_to_save`
 * under their original names, and trainable base biases for `bias: all`
 * (every bias, PEFT's in-memory names) or `lora_only` (the adapted layers'
 * `base_layer.bias`; PEFT ≥ 0.8 silently drops these, kd keeps them). All
 * float32.
 */
export function adapterStateDict(
  lora: LoraModel,
  name: string,
  options: AdapterStateDictOptions = {},
): Record<string, StoredTensor> {
  const config = lora.config(name);
  const out: Record<string, StoredTensor> = {};
  const put = (key: string, t: tf.Tensor) => {
    out[`${PEFT_PREFIX}${key}`] = toStoredTensor(t);
  };
  const initial = options.convertToLora ? lora.initialFactors(name) : undefined;
  if (options.convertToLora && !initial) {
    throw new ValidationError(
      `convertToLora needs a PiSSA or OLoRA adapter created in this session; "${name}" has init ${JSON.stringify(config.initLoraWeights)}`,
    );
  }
  if (initial && config.useDora) {
    throw new ValidationError(
      'converting a PiSSA/OLoRA adapter with DoRA to plain LoRA is not defined',
    );
  }
  for (const [path, layer] of lora.layers()) {
    if (!layer.specs.has(name)) continue;
    if (layer instanceof LoraLinear) {
      const f = layer.factors(name);
      const init = initial?.get(path);
      if (init) {
        tf.tidy(() => {
          put(`${path}.lora_A.weight`, tf.concat([f.a, init.a], 0));
          put(`${path}.lora_B.weight`, tf.concat([f.b, tf.neg(init.b)], 1));
        });
      } else {
        put(`${path}.lora_A.weight`, f.a);
        put(`${path}.lora_B.weight`, f.b);
      }
      if (f.bias) put(`${path}.lora_B.bias`, f.bias);
      if (f.magnitude) put(`${path}.lora_magnitude_vector`, f.magnitude);
    } else if (layer instanceof LoraEmbedding) {
      const f = layer.factors(name);
      put(`${path}.lora_embedding_A`, f.a);
      put(`${path}.lora_embedding_B`, f.b);
    }
  }
  if (config.bias === 'all') {
    for (const [key, p] of lora.model.namedParameters()) {
      if (key.includes('bias') && !key.includes('lora_')) put(key, p);
    }
  } else if (config.bias === 'lora_only') {
    for (const [path, layer] of lora.layers()) {
      const b = (layer.base_layer as { bias?: Parameter }).bias;
      if (b && layer.specs.has(name)) put(`${path}.base_layer.bias`, b);
    }
  }
  // PEFT's save_embedding_layers="auto": a targeted `embed_tokens`/`lm_head` is saved in full.
  if (embeddingTargeted(config.targetModules, lora.targets(name))) {
    for (const [path, layer] of lora.layers()) {
      if (
        layer.specs.has(name) &&
        EMBEDDING_LAYER_NAMES.includes(path.split('.').at(-1) as string)
      ) {
        put(`${path}.base_layer.weight`, layer.baseWeight);
      }
    }
  }
  for (const path of lora.modulesToSave(name)) {
    const saved = lora.savedModule(path);
    if (!saved) continue;
    const values = saved.values(name);
    for (const [local, t] of values) {
      put(`${path}.${local}`, t);
      t.dispose();
    }
  }
  return out;
}

/** PEFT's `EMBEDDING_LAYER_NAMES`: targeting one of these makes PEFT save the whole layer. */
const EMBEDDING_LAYER_NAMES = ['embed_tokens', 'lm_head'];

/**
 * PEFT's `embedding_is_targeted`: a list naming `embed_tokens` or `lm_head`
 * exactly, or a regex that matched a module with one of those names.
 */
function embeddingTargeted(
  targets: readonly string[] | string | null,
  adapted: readonly string[],
): boolean {
  if (targets === null) return false;
  if (typeof targets === 'string') {
    return adapted.some((p) => EMBEDDING_LAYER_NAMES.includes(p.split('.').at(-1) as string));
  }
  return targets.some((t) => EMBEDDING_LAYER_NAMES.includes(t));
}

/** What was loaded (and, with `strict: false`, what was not). */
export interface AdapterLoadReport {
  /** Module paths that received adapter factors. */
  modules: string[];
  /** `modules_to_save` paths that received values. */
  modulesToSave: string[];
  /** Expected tensors the file lacks (only with `strict: false`). */
  missing: string[];
  /** Tensors of the file that went nowhere (only with `strict: false`). */
  unexpected: string[];
  /** Stored dtypes seen (`{ F32: 12 }`); everything loads as float32. */
  dtypes: Record<string, number>;
}

export interface StoredAdapterTensor {
  dtype?: string;
  shape: number[];
  data: ArrayLike<number>;
}

/**
 * Expected tensors of adapter `name` as PEFT keys → shape, for checking a
 * file before anything is assigned.
 */
export function expectedAdapterShapes(lora: LoraModel, name: string): Map<string, number[]> {
  const config = lora.config(name);
  const out = new Map<string, number[]>();
  for (const [path, layer] of lora.layers()) {
    const spec = layer.specs.get(name);
    if (!spec) continue;
    if (layer instanceof LoraLinear) {
      out.set(`${path}.lora_A.weight`, [spec.r, layer.inFeatures]);
      out.set(`${path}.lora_B.weight`, [layer.outFeatures, spec.r]);
      if (spec.loraBias) out.set(`${path}.lora_B.bias`, [layer.outFeatures]);
      if (spec.useDora) out.set(`${path}.lora_magnitude_vector`, [layer.outFeatures]);
    } else if (layer instanceof LoraEmbedding) {
      out.set(`${path}.lora_embedding_A`, [spec.r, layer.numEmbeddings]);
      out.set(`${path}.lora_embedding_B`, [layer.embeddingDim, spec.r]);
    }
  }
  for (const path of lora.modulesToSave(name)) {
    const saved = lora.savedModule(path);
    for (const [local, p] of saved?.params ?? []) out.set(`${path}.${local}`, [...p.shape]);
  }
  if (config.bias === 'lora_only') {
    for (const [path, layer] of lora.layers()) {
      const b = (layer.base_layer as { bias?: Parameter }).bias;
      if (b && layer.specs.has(name)) out.set(`${path}.base_layer.bias`, [...b.shape]);
    }
  }
  return out;
}

/**
 * Assigns PEFT-named tensors to adapter `name` (PEFT's
 * `set_peft_model_state_dict`). Everything is checked before anything is
 * assigned: a key outside `base_model.model.`, a module the model does not
 * have or that the config does not adapt, a shape that disagrees, or (with
 * `strict`, the default) an expected tensor that is missing, each throws an
 * error naming the module and tensor — a wrong file never loads silently.
 */
export function loadAdapterStateDict(
  lora: LoraModel,
  name: string,
  tensors: Record<string, StoredAdapterTensor>,
  options: { strict?: boolean; where?: string } = {},
): AdapterLoadReport {
  const strict = options.strict ?? true;
  const where = options.where ?? 'adapter_model.safetensors';
  const config = lora.config(name);
  const expected = expectedAdapterShapes(lora, name);
  const layers = lora.layers();
  const assignments: {
    key: string;
    target: { kind: 'param'; p: Parameter } | { kind: 'saved'; path: string; local: string };
    value: StoredAdapterTensor;
  }[] = [];
  const unexpected: string[] = [];
  const dtypes: Record<string, number> = {};
  const moduleNames = lora.model.namedModules().map(([n]) => n);
  const ownParams = new Map(lora.model.namedParameters());
  const saved = lora.modulesToSave(name);
  for (const [fullKey, value] of Object.entries(tensors)) {
    if (!fullKey.startsWith(PEFT_PREFIX)) {
      throw new ValidationError(
        `tensor "${fullKey}" is not a PEFT adapter key (expected names starting "${PEFT_PREFIX}")`,
        [{ path: fullKey, message: 'not under base_model.model.' }],
        { where },
      );
    }
    const key = fullKey.slice(PEFT_PREFIX.length);
    const dtype = value.dtype ?? 'F32';
    dtypes[dtype] = (dtypes[dtype] ?? 0) + 1;
    const split = splitAdapterKey(key);
    if (split) {
      const layer = layers.get(split.path);
      if (!layer?.specs.has(name)) {
        const exists = moduleNames.includes(split.path);
        const close = closestNames(split.path, [...layers.keys()]);
        const why = exists
          ? `the config's target_modules do not select module "${split.path}"`
          : `the model has no module "${split.path}"`;
        if (!strict) {
          unexpected.push(fullKey);
          continue;
        }
        throw new ValidationError(
          `adapter tensor "${fullKey}" targets module "${split.path}", but ${why}.${close.length ? ` Adapted modules include ${close.map((c) => `"${c}"`).join(', ')}.` : ''}`,
          [{ path: split.path, message: exists ? 'not a target' : 'missing from the model' }],
          { where },
        );
      }
      const normalized = `${split.path}.${split.suffix}`;
      const shape = expected.get(normalized);
      if (!shape) {
        if (!strict) {
          unexpected.push(fullKey);
          continue;
        }
        throw new ValidationError(
          `adapter tensor "${fullKey}" does not fit module "${split.path}" (${describeLayer(layer, name)})`,
          [{ path: split.path, message: `unexpected ${split.suffix}` }],
          { where },
        );
      }
      checkShape(fullKey, split.path, value.shape, shape, where);
      assignments.push({
        key: normalized,
        target: { kind: 'param', p: paramFor(layer, name, split.suffix) },
        value,
      });
      continue;
    }
    // Full base weights PEFT saves with a targeted embed_tokens / lm_head (or a resized vocabulary).
    if (key.endsWith('.base_layer.weight')) {
      const layer = layers.get(key.slice(0, -'.base_layer.weight'.length));
      if (layer) {
        checkShape(fullKey, key, value.shape, [...layer.baseWeight.shape], where);
        assignments.push({ key, target: { kind: 'param', p: layer.baseWeight }, value });
        continue;
      }
    }
    const savedPath = saved.find((p) => key.startsWith(`${p}.`));
    if (savedPath) {
      const shape = expected.get(key);
      if (!shape) {
        if (!strict) {
          unexpected.push(fullKey);
          continue;
        }
        throw new ValidationError(
          `tensor "${fullKey}" names no parameter of modules_to_save "${savedPath}"`,
          [{ path: savedPath, message: `no parameter "${key.slice(savedPath.length + 1)}"` }],
          { where },
        );
      }
      checkShape(fullKey, savedPath, value.shape, shape, where);
      assignments.push({
        key,
        target: { kind: 'saved', path: savedPath, local: key.slice(savedPath.length + 1) },
        value,
      });
      continue;
    }
    // Base biases (`bias: all` / `lora_only`); PEFT writes in-memory names (`…query.base_layer.bias`).
    if (config.bias !== 'none' && key.endsWith('bias')) {
      const p = ownParams.get(key) ?? ownParams.get(key.replace(/\.bias$/, '.base_layer.bias'));
      if (p) {
        checkShape(fullKey, key, value.shape, [...p.shape], where);
        assignments.push({ key, target: { kind: 'param', p }, value });
        continue;
      }
    }
    if (!strict) {
      unexpected.push(fullKey);
      continue;
    }
    throw new ValidationError(
      `tensor "${fullKey}" is neither an adapter factor nor a modules_to_save/bias parameter of this config`,
      [{ path: key, message: 'unexpected tensor' }],
      { where },
    );
  }
  const provided = new Set(assignments.map((a) => a.key));
  const missing = [...expected.keys()].filter((k) => !provided.has(k));
  if (strict && missing.length > 0) {
    const first = missing[0];
    const modules = [
      ...new Set(
        missing.map(
          (k) => splitAdapterKey(k)?.path ?? saved.find((p) => k.startsWith(`${p}.`)) ?? k,
        ),
      ),
    ];
    throw new ValidationError(
      `the adapter file lacks ${missing.length} tensor(s) the config requires, e.g. "${PEFT_PREFIX}${first}"; modules without weights: ${modules
        .slice(0, 8)
        .map((m) => `"${m}"`)
        .join(', ')}${modules.length > 8 ? ` and ${modules.length - 8} more` : ''}`,
      missing.map((k) => ({ path: k, message: 'missing from the adapter file' })),
      { where },
    );
  }
  // Everything checked: assign.
  const savedValues = new Map<string, Map<string, tf.Tensor>>();
  for (const { target, value } of assignments) {
    const t = tf.tensor(Float32Array.from(value.data), value.shape, 'float32');
    if (target.kind === 'param') {
      target.p.assign(t);
      t.dispose();
    } else {
      let m = savedValues.get(target.path);
      if (!m) savedValues.set(target.path, (m = new Map()));
      m.set(target.local, t);
    }
  }
  for (const [path, values] of savedValues) {
    lora.savedModule(path)?.setValues(name, values);
    for (const t of values.values()) t.dispose();
  }
  const modules = [
    ...new Set(
      assignments
        .filter((a) => splitAdapterKey(a.key))
        .map((a) => splitAdapterKey(a.key)?.path as string),
    ),
  ];
  return { modules, modulesToSave: [...savedValues.keys()], missing, unexpected, dtypes };
}

function describeLayer(layer: LoraLayer, name: string): string {
  const spec = layer.specs.get(name);
  if (layer instanceof LoraEmbedding) return `an embedding adapter of rank ${spec?.r}`;
  return `a ${spec?.useDora ? 'DoRA' : 'LoRA'} adapter of rank ${spec?.r}${spec?.loraBias ? ' with lora_bias' : ''}`;
}

function checkShape(
  key: string,
  module: string,
  got: readonly number[],
  want: readonly number[],
  where: string,
): void {
  if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
    throw new ShapeError(
      `module "${module}": tensor "${key}" has shape [${got.join(', ')}], the model expects [${want.join(', ')}] (check r, rank_pattern and the base model)`,
      { where },
    );
  }
}

function paramFor(layer: LoraLayer, name: string, suffix: string): Parameter {
  if (layer instanceof LoraLinear) {
    const f = layer.factors(name);
    if (suffix === 'lora_A.weight') return f.a;
    if (suffix === 'lora_B.weight') return f.b;
    if (suffix === 'lora_B.bias' && f.bias) return f.bias;
    if (suffix === 'lora_magnitude_vector' && f.magnitude) return f.magnitude;
  } else if (layer instanceof LoraEmbedding) {
    const f = layer.factors(name);
    if (suffix === 'lora_embedding_A') return f.a;
    if (suffix === 'lora_embedding_B') return f.b;
  }
  throw new ValidationError(`no ${suffix} on this layer`);
}
