import {
  decodeSafetensors,
  encodeSafetensors,
  FormatError,
  type SafetensorsTensor,
  ValidationError,
} from '@kd/core';
import type { Module } from '@kd/nn';
import { adapterConfigText, loraScaling, parseAdapterConfig } from './config.js';
import { LoraModel } from './model.js';
import {
  type AdapterLoadReport,
  adapterStateDict,
  loadAdapterStateDict,
  PEFT_PREFIX,
  splitAdapterKey,
} from './state-dict.js';
import { patternValue } from './targets.js';

/** The two files of a PEFT adapter directory, in memory. */
export interface AdapterFiles {
  'adapter_config.json': string;
  'adapter_model.safetensors': Uint8Array;
}

export interface SaveAdapterOptions {
  /** Which adapter (default: the first active one). */
  adapterName?: string;
  /** PiSSA/OLoRA: save as plain LoRA for the original base (see `adapterStateDict`). */
  convertToLora?: boolean;
}

/**
 * Serialises an adapter exactly as PEFT's `save_pretrained` does:
 * `adapter_config.json` (PEFT's keys, sorted, 2-space indent; `inference_mode`
 * true, as PEFT writes it) and `adapter_model.safetensors` (PEFT's tensor
 * names, float32, `__metadata__ {"format": "pt"}`).
 */
export function saveAdapter(lora: LoraModel, options: SaveAdapterOptions = {}): AdapterFiles {
  const name = options.adapterName ?? lora.activeAdapters[0] ?? 'default';
  let config = { ...lora.config(name), inferenceMode: true };
  if (options.convertToLora) {
    // PEFT: rank doubles; alpha doubles (×√2 with rsLoRA) so the scaling is unchanged.
    const f = config.useRslora ? Math.SQRT2 : 2;
    config = {
      ...config,
      r: config.r * 2,
      loraAlpha: config.loraAlpha * f,
      rankPattern: Object.fromEntries(
        Object.entries(config.rankPattern).map(([k, v]) => [k, v * 2]),
      ),
      alphaPattern: Object.fromEntries(
        Object.entries(config.alphaPattern).map(([k, v]) => [k, v * f]),
      ),
      initLoraWeights: true,
    };
  }
  const tensors = adapterStateDict(lora, name, { convertToLora: options.convertToLora });
  return {
    'adapter_config.json': adapterConfigText(config, lora.configExtra(name)),
    'adapter_model.safetensors': encodeSafetensors(tensors, { format: 'pt' }),
  };
}

export interface LoadAdapterInput {
  /** `adapter_config.json`: text, bytes or parsed. */
  config: string | Uint8Array | Record<string, unknown>;
  /** `adapter_model.safetensors` bytes, or tensors already decoded. */
  weights: Uint8Array | Record<string, SafetensorsTensor>;
}

export interface LoadAdapterOptions {
  /** Name for the adapter (default `"default"`). */
  adapterName?: string;
  /** Keep the adapter trainable (PEFT's `is_trainable`); default false: frozen, inference mode. */
  isTrainable?: boolean;
  /** Default true: every expected tensor present, nothing unexpected. */
  strict?: boolean;
  /** Called with each warning (unknown config keys); default `console.warn`. */
  onWarning?: (message: string) => void;
  /** Seeds random parts of the replayed init (`pissa_niter_<n>`). */
  seed?: number;
}

export interface LoadedAdapter {
  lora: LoraModel;
  report: AdapterLoadReport;
  warnings: string[];
}

/**
 * Loads a PEFT LoRA adapter onto `target` (PEFT's `PeftModel.from_pretrained`,
 * or `load_adapter` when `target` is already a {@link LoraModel}). The
 * config is parsed (unknown keys kept with a warning); targets are selected
 * by PEFT's rules; PiSSA/OLoRA inits are replayed on the base first, as PEFT
 * does, so the residual is rebuilt from the original weights; then every
 * tensor is checked (module exists and is targeted, shape agrees, nothing
 * missing) before anything is assigned. The adapter is made active.
 */
export function loadAdapter(
  target: Module | LoraModel,
  input: LoadAdapterInput,
  options: LoadAdapterOptions = {},
): LoadedAdapter {
  const name = options.adapterName ?? 'default';
  const parsed = parseAdapterConfig(input.config);
  const warn = options.onWarning ?? ((m: string) => console.warn(`@kd/lora: ${m}`));
  for (const w of parsed.warnings) warn(w);
  const tensors =
    input.weights instanceof Uint8Array
      ? decodeSafetensors(input.weights, { where: 'adapter_model.safetensors' }).tensors
      : input.weights;
  checkKeysBeforeInjecting(tensors);
  const config = { ...parsed.config, inferenceMode: !options.isTrainable };
  const created = !(target instanceof LoraModel);
  const lora = target instanceof LoraModel ? target : LoraModel.empty(target);
  lora.addAdapter(name, config, { seed: options.seed });
  try {
    const report = loadAdapterStateDict(
      lora,
      name,
      tensors as Record<string, SafetensorsTensor & { data: ArrayLike<number> }>,
      {
        strict: options.strict,
      },
    );
    lora.setConfigExtra(name, parsed.extra);
    lora.setAdapter(name);
    return { lora, report, warnings: parsed.warnings };
  } catch (error) {
    // Leave the model as it was: drop the half-made adapter.
    if (created) lora.unload();
    else lora.deleteAdapter(name);
    throw error;
  }
}

/** Every key must be a PEFT key with float data; checked before the model is touched. */
function checkKeysBeforeInjecting(tensors: Record<string, SafetensorsTensor>): void {
  for (const [key, t] of Object.entries(tensors)) {
    if (!(t.data instanceof Float32Array || t.data instanceof Float64Array)) {
      throw new FormatError(
        `tensor "${key}" has dtype ${t.dtype}; adapter weights are floating point`,
        {
          where: 'adapter_model.safetensors',
        },
      );
    }
  }
  if (Object.keys(tensors).length === 0) {
    throw new ValidationError('the adapter file has no tensors', [], {
      where: 'adapter_model.safetensors',
    });
  }
}

/** One adapted module as `inspectAdapter` reports it. */
export interface InspectedModule {
  path: string;
  kind: 'linear' | 'embedding';
  r: number;
  /** Input features (linear) or table rows (embedding). */
  in: number;
  /** Output features (linear) or embedding size. */
  out: number;
  alpha: number;
  scaling: number;
  dora: boolean;
  loraBias: boolean;
  parameters: number;
}

export interface AdapterInspection {
  config: ReturnType<typeof parseAdapterConfig>['config'];
  extra: Record<string, unknown>;
  warnings: string[];
  modules: InspectedModule[];
  /** Full tensors saved beside the adapter (modules_to_save, biases). */
  saved: { name: string; shape: number[]; parameters: number }[];
  totals: { tensors: number; adapterParameters: number; savedParameters: number; bytes: number };
  dtypes: Record<string, number>;
}

/**
 * What an adapter directory holds, from the files alone (no base model):
 * config, targets with ranks/alphas/scalings (after `rank_pattern` /
 * `alpha_pattern`), parameter counts. Checks each module's tensors agree
 * (A's rank equals B's), naming the module when they do not.
 */
export function inspectAdapter(input: LoadAdapterInput): AdapterInspection {
  const parsed = parseAdapterConfig(input.config);
  const bytes = input.weights instanceof Uint8Array ? input.weights.byteLength : 0;
  const tensors =
    input.weights instanceof Uint8Array
      ? decodeSafetensors(input.weights, { where: 'adapter_model.safetensors' }).tensors
      : input.weights;
  const c = parsed.config;
  const byModule = new Map<string, Record<string, number[]>>();
  const saved: AdapterInspection['saved'] = [];
  const dtypes: Record<string, number> = {};
  for (const [key, t] of Object.entries(tensors)) {
    dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + 1;
    const inner = key.startsWith(PEFT_PREFIX) ? key.slice(PEFT_PREFIX.length) : key;
    const split = splitAdapterKey(inner);
    if (!split) {
      saved.push({
        name: inner,
        shape: [...t.shape],
        parameters: t.shape.reduce((a, b) => a * b, 1),
      });
      continue;
    }
    let m = byModule.get(split.path);
    if (!m) byModule.set(split.path, (m = {}));
    m[split.suffix] = [...t.shape];
  }
  const modules: InspectedModule[] = [];
  for (const [path, m] of byModule) {
    const embedding = 'lora_embedding_A' in m || 'lora_embedding_B' in m;
    const a = embedding ? m.lora_embedding_A : m['lora_A.weight'];
    const b = embedding ? m.lora_embedding_B : m['lora_B.weight'];
    if (!a || !b) {
      throw new ValidationError(
        `module "${path}" has ${a ? 'no B' : 'no A'} factor in the adapter file`,
        [{ path, message: 'incomplete adapter' }],
        { where: 'adapter_model.safetensors' },
      );
    }
    const r = a[0];
    if (b[1] !== r) {
      throw new ValidationError(
        `module "${path}": A has rank ${r} but B has ${b[1]} columns`,
        [{ path, message: 'rank mismatch' }],
        { where: 'adapter_model.safetensors' },
      );
    }
    const alpha = patternValue(c.alphaPattern, path, c.loraAlpha);
    const parameters = Object.values(m).reduce(
      (s, shape) => s + shape.reduce((x, y) => x * y, 1),
      0,
    );
    modules.push({
      path,
      kind: embedding ? 'embedding' : 'linear',
      r,
      in: a[1],
      out: b[0],
      alpha,
      scaling: loraScaling(alpha, r, c.useRslora),
      dora: 'lora_magnitude_vector' in m,
      loraBias: 'lora_B.bias' in m,
      parameters,
    });
  }
  modules.sort((x, y) => (x.path < y.path ? -1 : 1));
  const adapterParameters = modules.reduce((s, m) => s + m.parameters, 0);
  const savedParameters = saved.reduce((s, t) => s + t.parameters, 0);
  return {
    config: c,
    extra: parsed.extra,
    warnings: parsed.warnings,
    modules,
    saved,
    totals: { tensors: Object.keys(tensors).length, adapterParameters, savedParameters, bytes },
    dtypes,
  };
}
