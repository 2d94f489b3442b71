import {
  decodeSafetensors,
  encodeSafetensors,
  FormatError,
  type SafetensorsTensor,
  type StoredTensor,
  toStoredTensor,
  ValidationError,
} from '@kd/core';
import {
  type Architecture,
  architectureOf,
  familyOf,
  findArchitecture,
  type ModelFamily,
} from '../models/architectures.js';
import { defaultId2Label, fromHFConfig, toHFConfig } from '../models/config.js';
import type { LoadReport, Module } from '../module.js';
import { matchesAny } from '../patterns.js';

/** A Hugging Face model directory's contents, in memory (works in browsers). */
export interface HFFiles {
  /** `config.json`: its text, bytes, or parsed object. */
  config: string | Uint8Array | Record<string, unknown>;
  /**
   * `model.safetensors` bytes, the shards of a sharded checkpoint
   * (`model-00001-of-00002.safetensors`, …), or tensors already decoded.
   */
  weights: Uint8Array | readonly Uint8Array[] | Record<string, SafetensorsTensor>;
}

export interface LoadHFOptions {
  /**
   * Build this architecture instead of `config.architectures[0]`, e.g. a
   * `BertForSequenceClassification` from a `BertModel` checkpoint. The head's
   * parameters may then be missing (they keep their seeded initialisation
   * and are listed in `report.initialized`) and the checkpoint's own head is
   * skipped (`report.unused`), as Hugging Face's `from_pretrained` does.
   */
  architecture?: string;
  /** Default true: any other missing or unexpected key is an error naming it. */
  strict?: boolean;
  /** camelCase config overrides (`{ numLabels: 3 }`, `{ hiddenDropoutProb: 0 }`). */
  config?: Record<string, unknown>;
  /** Seed for parameters the checkpoint does not provide and for dropout. */
  seed?: number;
}

export interface HFLoadReport extends LoadReport {
  architecture: string;
  /** Keys Hugging Face itself skips (old buffers, next-sentence heads). */
  ignored: string[];
  /** Head parameters left at their initial values (architecture switch). */
  initialized: string[];
  /** Checkpoint head keys not used by the chosen architecture. */
  unused: string[];
  /** How many tensors came in each stored dtype (`{ F16: 52 }`), all loaded as float32. */
  dtypes: Record<string, number>;
}

const WHERE = 'Hugging Face checkpoint';

function parseConfigJson(config: HFFiles['config']): Record<string, unknown> {
  if (typeof config === 'object' && !(config instanceof Uint8Array)) return config;
  const text = typeof config === 'string' ? config : new TextDecoder().decode(config);
  try {
    const json = JSON.parse(text);
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw new Error('not an object');
    return json;
  } catch (error) {
    throw new FormatError(`config.json is not a JSON object: ${(error as Error).message}`, {
      where: WHERE,
      cause: error,
    });
  }
}

function decodeWeights(weights: HFFiles['weights']): Record<string, SafetensorsTensor> {
  if (weights instanceof Uint8Array)
    return decodeSafetensors(weights, { where: 'model.safetensors' }).tensors;
  if (Array.isArray(weights)) {
    const out: Record<string, SafetensorsTensor> = {};
    weights.forEach((shard, i) => {
      const where = `safetensors shard ${i + 1} of ${weights.length}`;
      for (const [k, v] of Object.entries(decodeSafetensors(shard, { where }).tensors)) {
        if (k in out)
          throw new FormatError(`tensor "${k}" appears in more than one shard`, { where });
        out[k] = v;
      }
    });
    return out;
  }
  return weights as Record<string, SafetensorsTensor>;
}

/** The architecture, family and camelCase config input a `config.json` describes. */
export function resolveHFConfig(
  json: Record<string, unknown>,
  options: { architecture?: string; config?: Record<string, unknown> } = {},
): {
  architecture: Architecture;
  family: ModelFamily;
  config: Record<string, unknown>;
  saved: string | undefined;
} {
  const saved = Array.isArray(json.architectures) ? String(json.architectures[0]) : undefined;
  let modelType = typeof json.model_type === 'string' ? json.model_type : undefined;
  const requested = options.architecture ?? saved;
  if (!modelType && requested) modelType = findArchitecture(requested).modelType;
  if (!modelType) {
    throw new FormatError('config.json has neither model_type nor architectures', { where: WHERE });
  }
  const family = familyOf(modelType);
  const architecture = findArchitecture(requested ?? family.defaultArchitecture);
  if (architecture.modelType !== family.modelType) {
    throw new ValidationError(
      `architecture ${architecture.name} is a ${architecture.modelType} model, but config.json says model_type "${modelType}"`,
      [],
      { where: WHERE },
    );
  }
  const config = { ...fromHFConfig(json, Object.keys(family.schema.shape)), ...options.config };
  return { architecture, family, config, saved };
}

/**
 * Builds a model from a Hugging Face `config.json` + safetensors checkpoint
 * (BERT, DistilBERT, GPT-2, Llama and their heads): names map 1:1 (the
 * module tree uses Hugging Face's names), legacy LayerNorm `gamma`/`beta`
 * become `weight`/`bias`, base-model checkpoints load into head models and
 * back (the `bert.` / `transformer.` / `model.` prefix is added or
 * stripped), tied output weights come from the embeddings, and F16, BF16 and
 * F64 weights are converted to float32. Shapes are checked for every key
 * before anything is assigned; a mismatch throws a `ShapeError` naming it.
 */
export function loadHF(
  files: HFFiles,
  options: LoadHFOptions = {},
): { model: Module; report: HFLoadReport } {
  const json = parseConfigJson(files.config);
  const { architecture, family, config, saved } = resolveHFConfig(json, options);
  const tensors = decodeWeights(files.weights);
  const model = architecture.create(config, { seed: options.seed ?? 0 });
  try {
    const report = loadHFState(model, architecture, family, tensors, {
      strict: options.strict ?? true,
      switched: saved !== undefined && findArchitecture(saved).name !== architecture.name,
    });
    model.eval();
    return { model, report };
  } catch (error) {
    model.dispose();
    throw error;
  }
}

function loadHFState(
  model: Module,
  architecture: Architecture,
  family: ModelFamily,
  tensors: Record<string, SafetensorsTensor>,
  options: { strict: boolean; switched: boolean },
): HFLoadReport {
  const own = new Set([
    ...model.namedParameters().map(([k]) => k),
    ...Object.keys(model.tiedParameters()),
  ]);
  const prefix = architecture.prefix ? `${architecture.prefix}.` : '';
  const basePrefix = `${family.basePrefix}.`;
  const keys = Object.keys(tensors);
  const ckptHasBase = keys.some((k) => k.startsWith(basePrefix));
  const rename = (key: string): string => {
    let k = key.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias');
    if (prefix && !ckptHasBase && own.has(prefix + k)) k = prefix + k;
    else if (!prefix && k.startsWith(basePrefix) && own.has(k.slice(basePrefix.length))) {
      k = k.slice(basePrefix.length);
    }
    return k;
  };
  const state: Record<string, StoredTensor> = {};
  const ignored: string[] = [];
  const unused: string[] = [];
  const unexpected: string[] = [];
  const dtypes: Record<string, number> = {};
  for (const key of keys) {
    const name = rename(key);
    if (!own.has(name)) {
      if (matchesAny(key, family.ignoreUnexpected)) ignored.push(key);
      else if (options.switched && !isBaseCheckpointKey(name, prefix, basePrefix)) unused.push(key);
      else unexpected.push(key);
      continue;
    }
    const t = tensors[key];
    dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + 1;
    state[name] = { dtype: 'float32', shape: [...t.shape], data: toFloat32(t, key) };
  }
  const provided = new Set(Object.keys(state));
  const tied = model.tiedParameters();
  const missingAll = model
    .namedParameters()
    .map(([k]) => k)
    .filter(
      (k) => !provided.has(k) && !Object.entries(tied).some(([a, c]) => c === k && provided.has(a)),
    );
  const initialized = options.switched
    ? missingAll.filter((k) => prefix && !k.startsWith(prefix))
    : [];
  const missing = missingAll.filter((k) => !initialized.includes(k));
  if (options.strict && (missing.length > 0 || unexpected.length > 0)) {
    const parts: string[] = [];
    if (missing.length) parts.push(`missing keys: ${missing.map((k) => `"${k}"`).join(', ')}`);
    if (unexpected.length)
      parts.push(`unexpected keys: ${unexpected.map((k) => `"${k}"`).join(', ')}`);
    throw new ValidationError(
      `checkpoint does not match ${architecture.name}: ${parts.join('; ')}`,
      [
        ...missing.map((k) => ({ path: k, message: 'missing from the checkpoint' })),
        ...unexpected.map((k) => ({ path: k, message: 'not a parameter of the model' })),
      ],
      { where: WHERE },
    );
  }
  // Shapes are checked (and nothing assigned on a mismatch) by loadStateDict.
  model.loadStateDict(state, { strict: false });
  return {
    architecture: architecture.name,
    missing,
    unexpected,
    ignored,
    initialized,
    unused,
    dtypes,
  };
}

/**
 * Whether a (renamed) checkpoint key belongs to the base model rather than
 * a task head: under the model's prefix, or for a base model, under the
 * base prefix it could not strip.
 */
function isBaseCheckpointKey(name: string, prefix: string, basePrefix: string): boolean {
  return name.startsWith(prefix || basePrefix);
}

function toFloat32(t: SafetensorsTensor, key: string): Float32Array {
  const d = t.data;
  if (d instanceof Float32Array && t.dtype !== 'C64') return d;
  if (d instanceof Float64Array) return Float32Array.from(d);
  throw new FormatError(`tensor "${key}" has dtype ${t.dtype}; weights must be floating point`, {
    where: WHERE,
  });
}

export interface SaveHFOptions {
  /** Extra `__metadata__` entries; `format: "pt"` is always written. */
  metadata?: Record<string, string>;
}

/**
 * Serialises a model in the Hugging Face layout: `config.json` (Hugging
 * Face's keys, `architectures`, `model_type`, `torch_dtype: float32`, and any
 * unknown keys the loaded config carried) and `model.safetensors` (float32,
 * tied weights stored once, as `save_pretrained` does). `loadHF` reads it
 * back bit-identically; so does `transformers`.
 */
export function saveHF(
  model: Module,
  options: SaveHFOptions = {},
): {
  config: Record<string, unknown>;
  files: { 'config.json': string; 'model.safetensors': Uint8Array };
} {
  const architecture = architectureOf(model);
  const c = (model as unknown as { config: Record<string, unknown> }).config;
  const { numLabels, id2label, ...rest } = c as {
    numLabels?: number;
    id2label?: Record<string, string>;
  };
  const labels = architecture.labels ? (id2label ?? defaultId2Label(numLabels ?? 2)) : id2label;
  const json = toHFConfig(
    {
      ...rest,
      ...(labels
        ? {
            id2label: labels,
            label2id: Object.fromEntries(Object.entries(labels).map(([i, l]) => [l, Number(i)])),
          }
        : {}),
    },
    {
      architectures: [architecture.name],
      model_type: architecture.modelType,
      torch_dtype: 'float32',
    },
  );
  const tensors: Record<string, StoredTensor> = {};
  for (const [name, p] of model.namedParameters()) tensors[name] = toStoredTensor(p);
  const bytes = encodeSafetensors(tensors, { ...options.metadata, format: 'pt' });
  return {
    config: json,
    files: { 'config.json': `${JSON.stringify(json, null, 2)}\n`, 'model.safetensors': bytes },
  };
}
