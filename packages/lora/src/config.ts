import { ValidationError } from '@kd/core';
import { z } from 'zod';

/**
 * The LoRA family's configuration: PEFT's `LoraConfig`, field for field, in
 * camelCase (`lora_alpha` → `loraAlpha`). Defaults are PEFT's. The file form
 * (`adapter_config.json`, snake_case) is read and written by
 * {@link parseAdapterConfig} / {@link adapterConfigJson}.
 */
const initLoraWeights = z.union([
  z.boolean(),
  z.literal('gaussian'),
  z.literal('pissa'),
  z.string().regex(/^pissa_niter_\d+$/, 'expected "pissa_niter_<iterations>"'),
  z.literal('olora'),
]);

const targetList = z.array(z.string().min(1, 'an empty module name matches nothing'));

export const LoraConfigSchema = z.strictObject({
  /** Rank of the update `B·A` (PEFT `r`). */
  r: z.number().int().positive().default(8),
  /** Scaling numerator: the update is multiplied by `loraAlpha / r` (or `/ √r` with rsLoRA). */
  loraAlpha: z.number().positive().default(8),
  /** Dropout on the adapter's input only (the base layer sees the undropped input). */
  loraDropout: z.number().min(0).lt(1).default(0),
  /**
   * Which modules get adapters. A list selects a module whose dotted name
   * equals an entry or ends with `.` + entry; a string is a regular
   * expression that must match the whole name; `'all-linear'` selects every
   * linear layer except the output head. Default: the architecture's usual
   * targets (`query`/`value` for BERT, `q_proj`/`v_proj` for Llama, …).
   */
  targetModules: z
    .union([z.string().min(1), targetList])
    .nullable()
    .default(null),
  /** Modules never adapted, with the same matching rules as `targetModules`. */
  excludeModules: z
    .union([z.string().min(1), targetList])
    .nullable()
    .default(null),
  /** Only modules in these layer indices (list targets only, as in PEFT). */
  layersToTransform: z
    .union([z.number().int().nonnegative(), z.array(z.number().int().nonnegative())])
    .nullable()
    .default(null),
  /** The name of the layer list (`layer`, `layers`, `h`); default: any `<name>.<index>.`. */
  layersPattern: z
    .union([z.string(), z.array(z.string())])
    .nullable()
    .default(null),
  /** Per-module ranks: regex (matched against a trailing part of the name) → r. */
  rankPattern: z.record(z.string(), z.number().int().positive()).default({}),
  /** Per-module alphas: regex → alpha. */
  alphaPattern: z.record(z.string(), z.number().positive()).default({}),
  /**
   * Modules trained in full and saved with the adapter (a classification
   * head). A module is selected when its dotted name ends with an entry.
   */
  modulesToSave: z.array(z.string().min(1)).nullable().default(null),
  /** Which base biases train: `none`, `all` (every bias), `lora_only` (biases of adapted layers). */
  bias: z.enum(['none', 'all', 'lora_only']).default('none'),
  /** Give `B` its own bias (merged into the base bias). */
  loraBias: z.boolean().default(false),
  /** rsLoRA: scale by `loraAlpha / √r` instead of `loraAlpha / r`. */
  useRslora: z.boolean().default(false),
  /** DoRA: learn a magnitude per output row and adapt the direction with LoRA. */
  useDora: z.boolean().default(false),
  /**
   * `true`: A Kaiming-uniform, B zero (PEFT's default); `false`: both random
   * (the adapter is not a no-op, for tests); `'gaussian'`: A ~ N(0, 1/r);
   * `'pissa'` / `'pissa_niter_<n>'`: principal singular vectors (the base
   * keeps the residual); `'olora'`: QR of the base weight.
   */
  initLoraWeights: initLoraWeights.default(true),
  /** The base stores its weight `[in, out]` (GPT-2 `Conv1D`); set automatically for Conv1D. */
  fanInFanOut: z.boolean().default(false),
  /** PEFT's task type (`SEQ_CLS`, `CAUSAL_LM`, …); `SEQ_CLS` saves `classifier`/`score` too. */
  taskType: z.string().nullable().default(null),
  baseModelNameOrPath: z.string().nullable().default(null),
  revision: z.string().nullable().default(null),
  /** Loaded for inference only: adapter weights frozen. */
  inferenceMode: z.boolean().default(false),
});

export type LoraConfigInput = z.input<typeof LoraConfigSchema>;
export type LoraConfig = z.output<typeof LoraConfigSchema>;

/** Parses and validates a config, filling PEFT's defaults; errors name the field. */
export function loraConfig(
  input: LoraConfigInput | LoraConfig = {},
  where = 'LoraConfig',
): LoraConfig {
  const parsed = LoraConfigSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({
      path: i.path.join('.') || '(config)',
      message: i.message,
    }));
    throw new ValidationError(
      `invalid LoRA config: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
      { where },
    );
  }
  const c = parsed.data;
  if (c.useDora && c.loraBias) {
    throw new ValidationError(
      'useDora and loraBias cannot be combined (PEFT does not define it)',
      [{ path: 'loraBias', message: 'not supported with useDora' }],
      { where },
    );
  }
  return c;
}

/** snake_case PEFT key ↔ camelCase kd key, for the fields kd implements. */
const FIELD_NAMES: Record<string, keyof LoraConfig> = {
  r: 'r',
  lora_alpha: 'loraAlpha',
  lora_dropout: 'loraDropout',
  target_modules: 'targetModules',
  exclude_modules: 'excludeModules',
  layers_to_transform: 'layersToTransform',
  layers_pattern: 'layersPattern',
  rank_pattern: 'rankPattern',
  alpha_pattern: 'alphaPattern',
  modules_to_save: 'modulesToSave',
  bias: 'bias',
  lora_bias: 'loraBias',
  use_rslora: 'useRslora',
  use_dora: 'useDora',
  init_lora_weights: 'initLoraWeights',
  fan_in_fan_out: 'fanInFanOut',
  task_type: 'taskType',
  base_model_name_or_path: 'baseModelNameOrPath',
  revision: 'revision',
  inference_mode: 'inferenceMode',
};

/**
 * The PEFT version whose `adapter_config.json` layout kd writes: every key
 * PEFT 0.19 writes for a LoRA adapter, with PEFT's defaults for the ones kd
 * does not use, so the file loads in PEFT unchanged.
 */
export const PEFT_FORMAT_VERSION = '0.19.1';

/** Keys PEFT writes that kd does not model, with the value PEFT writes when unused. */
const PEFT_PASSTHROUGH_DEFAULTS: Record<string, unknown> = {
  alora_invocation_tokens: null,
  arrow_config: null,
  auto_mapping: null,
  corda_config: null,
  ensure_weight_tying: false,
  eva_config: null,
  layer_replication: null,
  loftq_config: {},
  lora_ga_config: null,
  megatron_config: null,
  megatron_core: 'megatron.core',
  peft_type: 'LORA',
  peft_version: PEFT_FORMAT_VERSION,
  qalora_group_size: 16,
  target_parameters: null,
  trainable_token_indices: null,
  use_bdlora: null,
  use_qalora: false,
};

/**
 * Keys other PEFT versions write (older or newer than kd's format) that
 * change nothing for a plain LoRA adapter when left at these values; a file
 * that sets one of them to anything else asks for a feature kd does not have
 * and is refused rather than loaded wrongly.
 */
const PEFT_FEATURES_AT_DEFAULT: Record<string, (v: unknown) => boolean> = {
  layer_replication: (v) => v == null,
  trainable_token_indices: (v) => v == null,
  target_parameters: (v) => v == null || (Array.isArray(v) && v.length === 0),
  use_qalora: (v) => v == null || v === false,
  use_bdlora: (v) => v == null || v === false,
  alora_invocation_tokens: (v) => v == null,
  arrow_config: (v) => v == null,
  megatron_config: (v) => v == null,
};

/** Other keys of PEFT's LoraConfig (any version) that are harmless to keep as they are. */
const PEFT_KNOWN_KEYS = new Set([
  ...Object.keys(FIELD_NAMES),
  ...Object.keys(PEFT_PASSTHROUGH_DEFAULTS),
  'runtime_config',
  'use_alora',
  'monteclora_config',
  'corda_config',
  'lora_ga_config',
  'velora_config',
]);

/** What {@link parseAdapterConfig} read. */
export interface ParsedAdapterConfig {
  config: LoraConfig;
  /**
   * Every key of the file kd does not model (PEFT fields it passes through
   * and unknown ones), written back unchanged by {@link adapterConfigJson}.
   */
  extra: Record<string, unknown>;
  /** Unknown keys (kept and ignored, as new PEFT versions do). */
  unknownKeys: string[];
  warnings: string[];
}

const INIT_NEEDS_BASE_REPLAY = /^(pissa|pissa_niter_\d+|olora)$/;

/**
 * Reads PEFT's `adapter_config.json` (text, bytes or parsed JSON). Only
 * `peft_type` is required, as in PEFT; missing fields take PEFT's defaults.
 * Unknown keys are kept (in `extra`) and reported as warnings, as PEFT ≥ 0.14
 * does, instead of failing like older PEFT. Malformed values and features
 * kd cannot honour (another `peft_type`, LoftQ, layer replication…) throw a
 * ValidationError that names the field.
 */
export function parseAdapterConfig(
  input: string | Uint8Array | Record<string, unknown>,
  where = 'adapter_config.json',
): ParsedAdapterConfig {
  let json: unknown = input;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const text = typeof input === 'string' ? input : new TextDecoder().decode(input);
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new ValidationError(`not valid JSON: ${(error as Error).message}`, [], {
        where,
        cause: error,
      });
    }
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ValidationError('expected a JSON object', [], { where });
  }
  const raw = json as Record<string, unknown>;
  if (!('peft_type' in raw)) {
    throw new ValidationError(
      'missing "peft_type" (the one key PEFT requires)',
      [{ path: 'peft_type', message: 'required' }],
      { where },
    );
  }
  if (raw.peft_type !== 'LORA') {
    throw new ValidationError(
      `peft_type is ${JSON.stringify(raw.peft_type)}; @kd/lora reads LoRA adapters ("LORA")`,
      [{ path: 'peft_type', message: 'expected "LORA"' }],
      { where },
    );
  }
  const camel: Record<string, unknown> = {};
  const extra: Record<string, unknown> = {};
  const unknownKeys: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const field = FIELD_NAMES[key];
    if (field) {
      // PEFT writes null for unset optional lists and {} for unset patterns.
      if (value === null && (field === 'rankPattern' || field === 'alphaPattern')) continue;
      camel[field] = value;
      continue;
    }
    extra[key] = value;
    if (!PEFT_KNOWN_KEYS.has(key)) unknownKeys.push(key);
    const check = PEFT_FEATURES_AT_DEFAULT[key];
    if (check && !check(value)) {
      throw new ValidationError(
        `"${key}" is ${JSON.stringify(value)}: that PEFT feature is not supported by @kd/lora`,
        [{ path: key, message: 'unsupported feature' }],
        { where },
      );
    }
  }
  const init = raw.init_lora_weights;
  if (typeof init === 'string' && /^(loftq|corda)$/.test(init)) {
    throw new ValidationError(
      `init_lora_weights "${init}" changes the base weights in a way @kd/lora cannot replay`,
      [{ path: 'init_lora_weights', message: 'unsupported' }],
      { where },
    );
  }
  // Inits that only matter before training (EVA, orthogonal) do not affect a trained adapter.
  if (typeof init === 'string' && /^(eva|orthogonal)$/.test(init)) camel.initLoraWeights = true;
  let config: LoraConfig;
  try {
    config = loraConfig(camel as LoraConfigInput, where);
  } catch (error) {
    if (error instanceof ValidationError) {
      const snake = Object.fromEntries(Object.entries(FIELD_NAMES).map(([s, c]) => [c, s]));
      const issues = error.issues.map((i) => {
        const head = i.path.split('.')[0];
        return { path: i.path.replace(head, snake[head] ?? head), message: i.message };
      });
      throw new ValidationError(
        `malformed adapter config: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
        issues,
        { where },
      );
    }
    throw error;
  }
  const warnings = unknownKeys.map(
    (k) =>
      `unknown key "${k}" in the adapter config was kept and ignored (written by a newer PEFT?)`,
  );
  return { config, extra, unknownKeys, warnings };
}

/**
 * The `adapter_config.json` object PEFT writes: every key of PEFT's format
 * (kd's fields in snake_case, PEFT's defaults for the rest, `extra` from a
 * loaded file kept), keys sorted as PEFT's `json.dumps(sort_keys=True)`.
 */
export function adapterConfigJson(
  config: LoraConfig,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...PEFT_PASSTHROUGH_DEFAULTS, ...extra };
  for (const [snake, camel] of Object.entries(FIELD_NAMES)) {
    const v = config[camel];
    out[snake] = Array.isArray(v) ? [...v] : v;
  }
  out.peft_type = 'LORA';
  return Object.fromEntries(
    Object.keys(out)
      .sort()
      .map((k) => [k, out[k]]),
  );
}

/** `adapter_config.json` text as PEFT formats it (2-space indent, sorted keys). */
export function adapterConfigText(config: LoraConfig, extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify(adapterConfigJson(config, extra), null, 2)}\n`;
}

/** Whether an adapter with this init changed the base weights (PiSSA, OLoRA), which a loader must replay. */
export function initReplaysOnBase(init: LoraConfig['initLoraWeights']): boolean {
  return typeof init === 'string' && INIT_NEEDS_BASE_REPLAY.test(init);
}

/** `loraAlpha / r`, or `loraAlpha / √r` with rsLoRA: the factor on `B·A`. */
export function loraScaling(alpha: number, r: number, useRslora: boolean): number {
  return useRslora ? alpha / Math.sqrt(r) : alpha / r;
}
