import { closestNames, NotFoundError, ValidationError } from '@kd/core';
import { architectureOf, Conv1D, Embedding, Linear, type Module } from '@kd/nn';
import type { LoraConfig } from './config.js';

/**
 * PEFT's module-selection rules, reproduced exactly
 * (`tuners_utils.check_target_module_exists`, `_maybe_include_all_linear_layers`,
 * `utils.other._set_trainable`), so a config selects the same modules here
 * as in Python. Keys are dotted module names of the base model
 * (`bert.encoder.layer.0.attention.self.query`).
 */

/** PEFT's `INCLUDE_LINEAR_LAYERS_SHORTHAND`. */
export const ALL_LINEAR = 'all-linear';

/** Heads PEFT leaves out of `all-linear` for `SEQ_CLS` models (`SEQ_CLS_HEAD_NAMES`). */
const SEQ_CLS_HEAD_NAMES = ['score', 'classifier'];

/** PEFT's default targets by model type (`TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING`). */
export const DEFAULT_TARGET_MODULES: Record<string, string[]> = {
  bert: ['query', 'value'],
  distilbert: ['q_lin', 'v_lin'],
  gpt2: ['c_attn'],
  llama: ['q_proj', 'v_proj'],
};

/** Python's `re.fullmatch`: the pattern must match the whole key. */
export function fullMatch(pattern: string, key: string): boolean {
  return compile(`^(?:${pattern})$`).test(key);
}

const cache = new Map<string, RegExp>();
function compile(source: string): RegExp {
  let re = cache.get(source);
  if (!re) {
    try {
      re = new RegExp(source, 'u');
    } catch (error) {
      throw new ValidationError(`not a valid regular expression: ${source}`, [], { cause: error });
    }
    cache.set(source, re);
  }
  return re;
}

/** `key in list or any(key.endswith("." + t) for t in list)`. */
function listMatches(list: readonly string[], key: string): boolean {
  return list.includes(key) || list.some((t) => key.endsWith(`.${t}`));
}

/** Whether `exclude_modules` rules out `key`. */
export function isExcluded(config: Pick<LoraConfig, 'excludeModules'>, key: string): boolean {
  const ex = config.excludeModules;
  if (!ex || (Array.isArray(ex) && ex.length === 0)) return false;
  return typeof ex === 'string' ? fullMatch(ex, key) : listMatches(ex, key);
}

/** PEFT never puts an adapter inside a module listed in `modules_to_save`. */
function insideModulesToSave(modulesToSave: readonly string[] | null, key: string): boolean {
  return (modulesToSave ?? []).some((m) => compile(`^(?:|.*\\.)${m}(?:$|\\..*)`).test(key));
}

/**
 * `check_target_module_exists`: exclusion first, then a regex string
 * (full match), an exact name, or a suffix after a dot; `layers_to_transform`
 * applies to list targets matched by suffix (PEFT's own behaviour: an exact
 * name or a regex is not filtered by layer).
 */
export function isTargetModule(
  config: Pick<
    LoraConfig,
    'targetModules' | 'excludeModules' | 'layersToTransform' | 'layersPattern' | 'modulesToSave'
  >,
  key: string,
): boolean {
  if (isExcluded(config, key)) return false;
  if (insideModulesToSave(config.modulesToSave, key)) return false;
  const targets = config.targetModules;
  if (targets === null) return false;
  if (typeof targets === 'string') return fullMatch(targets, key);
  if (targets.includes(key)) return true;
  let found = targets.some((t) => key.endsWith(`.${t}`));
  const indexes = config.layersToTransform;
  const using = indexes !== null && (!Array.isArray(indexes) || indexes.length > 0);
  if (using && found) {
    const index = layerIndex(key, config.layersPattern);
    if (index === undefined) found = false;
    else found = Array.isArray(indexes) ? indexes.includes(index) : index === indexes;
  }
  return found;
}

/** The layer number in `key`, found as PEFT does (`.*\.<pattern>\.(\d+)\.`). */
export function layerIndex(
  key: string,
  layersPattern: LoraConfig['layersPattern'],
): number | undefined {
  const patterns =
    layersPattern === null || layersPattern.length === 0
      ? ['[^.]*']
      : typeof layersPattern === 'string'
        ? [layersPattern]
        : layersPattern;
  for (const p of patterns) {
    // Python's re.match anchors at the start only; `.*` is greedy, so the last index wins.
    const m = compile(`^.*\\.${p}\\.(\\d+)\\.`).exec(key);
    if (m) return Number(m[1]);
  }
  return undefined;
}

/** Module kinds an adapter can wrap. */
export type AdaptableKind = 'linear' | 'conv1d' | 'embedding';

export function adaptableKind(module: Module): AdaptableKind | undefined {
  if (module instanceof Linear) return 'linear';
  if (module instanceof Conv1D) return 'conv1d';
  if (module instanceof Embedding) return 'embedding';
  return undefined;
}

/**
 * The dotted name of the model's output projection (`get_output_embeddings`):
 * a top-level `lm_head`, or any Linear whose weight is an Embedding's weight
 * (BERT's `cls.predictions.decoder`).
 */
export function outputEmbeddingName(model: Module): string | undefined {
  if (model.hasModule('lm_head')) return 'lm_head';
  const embeddings = new Set(
    model
      .namedModules()
      .filter(([, m]) => m instanceof Embedding)
      .map(([, m]) => (m as Embedding).weight),
  );
  for (const [name, m] of model.namedModules()) {
    if ((m instanceof Linear || m instanceof Conv1D) && embeddings.has(m.weight)) return name;
  }
  return undefined;
}

/**
 * `all-linear`: every Linear and Conv1D, minus the output head — the output
 * embedding of a language model, or for `SEQ_CLS` the first of
 * `score`/`classifier` the model has at its top level — as PEFT's
 * `_maybe_include_all_linear_layers`.
 */
export function allLinearTargets(model: Module, taskType: string | null): string[] {
  const names = model
    .namedModules()
    .filter(([n, m]) => n !== '' && (m instanceof Linear || m instanceof Conv1D))
    .map(([n]) => n);
  const exclude = new Set<string>();
  const out = outputEmbeddingName(model);
  if (out !== undefined) exclude.add(out);
  else if (taskType === 'SEQ_CLS') {
    const head = SEQ_CLS_HEAD_NAMES.find((h) => model.hasModule(h));
    if (head) exclude.add(head);
  }
  return names.filter((n) => !exclude.has(n));
}

/**
 * Resolves `targetModules` for a model: `all-linear` becomes the list of
 * linear layers, `null` becomes the architecture's default targets.
 */
export function resolveTargetModules(
  model: Module,
  config: LoraConfig,
): LoraConfig['targetModules'] {
  const t = config.targetModules;
  if (typeof t === 'string' && t.toLowerCase() === ALL_LINEAR) {
    return allLinearTargets(model, config.taskType);
  }
  if (t !== null) return t;
  let modelType: string | undefined;
  try {
    modelType = architectureOf(model).modelType;
  } catch {
    modelType = undefined;
  }
  const defaults = modelType ? DEFAULT_TARGET_MODULES[modelType] : undefined;
  if (!defaults) {
    throw new ValidationError(
      `targetModules is not set and there is no default for ${modelType ? `model type "${modelType}"` : model.constructor.name}; name the modules to adapt`,
      [{ path: 'targetModules', message: 'required for this model' }],
    );
  }
  return [...defaults];
}

/**
 * The modules `config` adapts in `model`, in tree order, each checked to be
 * a kind an adapter can wrap. Throws, as PEFT does, when nothing matches
 * (listing the names that were looked for and close module names) or when a
 * matched module is of an unsupported type.
 */
export function findTargets(
  model: Module,
  config: LoraConfig,
): { name: string; module: Module; kind: AdaptableKind }[] {
  const resolved = { ...config, targetModules: resolveTargetModules(model, config) };
  const out: { name: string; module: Module; kind: AdaptableKind }[] = [];
  for (const [name, module] of model.namedModules()) {
    if (name === '' || !isTargetModule(resolved, name)) continue;
    // A module inside an adapter layer (lora_A.default, base_layer) is never a target.
    if (isAdapterInternal(name)) continue;
    const kind = adaptableKind(module);
    if (!kind) {
      // PEFT refuses a matched module it cannot wrap; a matched container is
      // usually a too-broad regex or suffix, so say which one it was.
      if ((module as { isLoraLayer?: boolean }).isLoraLayer) {
        out.push({ name, module, kind: (module as unknown as { kind: AdaptableKind }).kind });
        continue;
      }
      throw new ValidationError(
        `target module "${name}" is a ${module.constructor.name}; LoRA wraps Linear, Conv1D and Embedding layers`,
        [{ path: 'targetModules', message: `matches "${name}" (${module.constructor.name})` }],
      );
    }
    out.push({ name, module, kind });
  }
  if (out.length === 0) {
    const wanted = resolved.targetModules;
    const names = model
      .namedModules()
      .map(([n]) => n)
      .filter(Boolean);
    const leaf = [...new Set(names.map((n) => n.split('.').at(-1) as string))];
    const close = Array.isArray(wanted) ? wanted.flatMap((w) => closestNames(w, leaf)) : [];
    throw new NotFoundError(
      `target modules ${JSON.stringify(wanted)} not found in the base model (${model.constructor.name}).${
        close.length
          ? ` Did you mean ${[...new Set(close)].map((c) => `"${c}"`).join(' or ')}?`
          : ''
      } Module names look like "${names.find((n) => adaptableKind(model.getModule(n))) ?? names[0] ?? '(none)'}"`,
      close,
    );
  }
  return out;
}

const INTERNAL =
  /(^|\.)(base_layer|lora_A|lora_B|lora_dropout|lora_magnitude_vector|lora_embedding_A|lora_embedding_B)(\.|$)/;
export function isAdapterInternal(name: string): boolean {
  return INTERNAL.test(name);
}

/**
 * `modules_to_save` selection (`_set_trainable`): a module whose name ends
 * with an entry (a plain string suffix, as PEFT tests it); for `SEQ_CLS`,
 * PEFT adds `classifier` and `score`. The outermost match wins.
 */
export function findModulesToSave(model: Module, config: LoraConfig): string[] {
  const wanted = [...(config.modulesToSave ?? [])];
  if (config.taskType === 'SEQ_CLS') {
    for (const h of SEQ_CLS_HEAD_NAMES) if (!wanted.includes(h)) wanted.push(h);
  }
  if (wanted.length === 0) return [];
  const out: string[] = [];
  for (const [name] of model.namedModules()) {
    if (name === '' || isAdapterInternal(name)) continue;
    if (!wanted.some((w) => name.endsWith(w))) continue;
    if (out.some((o) => name.startsWith(`${o}.`))) continue;
    out.push(name);
  }
  const explicit = config.modulesToSave ?? [];
  const missing = explicit.filter((w) => !out.some((n) => n.endsWith(w)));
  if (explicit.length > 0 && missing.length === explicit.length) {
    throw new NotFoundError(
      `modules_to_save ${JSON.stringify(missing)} not found in the base model`,
      missing,
    );
  }
  return out;
}

/**
 * The per-module value from `rank_pattern` / `alpha_pattern`: the first
 * pattern key that matches the end of the module name at a dot boundary
 * (PEFT's `get_pattern_key`: `re.match(rf"(.*\.)?({key})$", name)`).
 */
export function patternValue<T>(pattern: Record<string, T>, name: string, fallback: T): T {
  for (const key of Object.keys(pattern)) {
    if (compile(`^(?:.*\\.)?(?:${key})$`).test(name)) return pattern[key];
  }
  return fallback;
}
