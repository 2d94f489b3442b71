import { NotFoundError, Rng, ValidationError } from '@kd/core';
import { Conv1D, Embedding, Linear, type Module, type Parameter } from '@kd/nn';
import * as tf from '@tensorflow/tfjs-core';
import { type LoraConfig, type LoraConfigInput, loraConfig, loraScaling } from './config.js';
import { type AdapterSpec, LoraEmbedding, LoraLayer, LoraLinear } from './layers/lora-layer.js';
import { ORIGINAL, SavedModule } from './modules-to-save.js';
import { findModulesToSave, findTargets, patternValue, resolveTargetModules } from './targets.js';

export interface AddAdapterOptions {
  /** Seeds the adapter's initial factors and dropout masks (default 0). */
  seed?: number;
}

export interface ParameterCounts {
  trainable: number;
  total: number;
  /** trainable / total × 100, as PEFT's `print_trainable_parameters`. */
  percent: number;
}

/** Adapter names are one dotted-path segment (they become part of parameter names). */
function checkAdapterName(name: string): void {
  if (!/^[A-Za-z0-9_-]+$/.test(name) || name === ORIGINAL || name === '__base__') {
    throw new ValidationError(
      `adapter name must be letters, digits, "_" or "-" (and not "${ORIGINAL}" or "__base__"), got ${JSON.stringify(name)}`,
    );
  }
}

/**
 * A model with LoRA-family adapters, PEFT's `LoraModel`/`PeftModel` in one
 * object. `wrap` replaces the targeted layers of `model` in place by
 * {@link LoraLinear}/{@link LoraEmbedding} wrappers (parameter names become
 * PEFT's: `…query.base_layer.weight`, `…query.lora_A.default.weight`),
 * freezes everything but the active adapters and `modules_to_save`, and
 * returns the handle that adds, switches, merges and removes adapters. Call
 * the model itself (`lora.model.forward(...)`) to run it.
 */
export class LoraModel {
  readonly model: Module;
  readonly #configs = new Map<string, LoraConfig>();
  readonly #extras = new Map<string, Record<string, unknown>>();
  readonly #layers = new Map<string, LoraLayer>();
  readonly #saved = new Map<string, SavedModule>();
  /** Initial factors of PiSSA/OLoRA adapters (for converting them to plain LoRA on save). */
  readonly #initial = new Map<string, Map<string, { a: tf.Tensor; b: tf.Tensor }>>();
  #active: string[] = [];
  #disabled = false;
  #unloaded = false;
  /** Trainability before any adapter, restored by unload. */
  readonly #wasTrainable: Map<Parameter, boolean>;

  private constructor(model: Module) {
    this.model = model;
    this.#wasTrainable = new Map(model.parameters().map((p) => [p, p.trainable]));
  }

  /** Adds adapter `adapterName` (default `"default"`) to `model` and makes it active and trainable. */
  static wrap(
    model: Module,
    config: LoraConfigInput | LoraConfig,
    options: AddAdapterOptions & { adapterName?: string } = {},
  ): LoraModel {
    const lora = new LoraModel(model);
    const name = options.adapterName ?? 'default';
    lora.addAdapter(name, config, options);
    lora.setAdapter(name);
    return lora;
  }

  /** Wraps a model that already carries LoRA layers of no adapter: used by loaders. */
  static empty(model: Module): LoraModel {
    return new LoraModel(model);
  }

  #check(): void {
    if (this.#unloaded) {
      throw new ValidationError('this LoraModel was unloaded; wrap the returned model again');
    }
  }

  /** Adapter names, in the order they were added. */
  get adapters(): string[] {
    return [...this.#configs.keys()];
  }
  get activeAdapters(): string[] {
    return [...this.#active];
  }
  get disabled(): boolean {
    return this.#disabled;
  }
  /** The adapter's config (targets resolved to module names when it was `all-linear` or default). */
  config(name = this.#active[0] ?? 'default'): LoraConfig {
    const c = this.#configs.get(name);
    if (!c) throw this.#unknown(name);
    return c;
  }
  /** Keys of a loaded adapter_config.json that kd passes through unchanged. */
  configExtra(name: string): Record<string, unknown> {
    return { ...(this.#extras.get(name) ?? {}) };
  }
  /** @internal */
  setConfigExtra(name: string, extra: Record<string, unknown>): void {
    this.#extras.set(name, { ...extra });
  }

  /** Adapter layers by module path. */
  layers(): Map<string, LoraLayer> {
    return new Map(this.#layers);
  }
  /** The module paths adapter `name` adapts. */
  targets(name: string): string[] {
    return [...this.#layers].filter(([, l]) => l.specs.has(name)).map(([p]) => p);
  }
  /** `modules_to_save` paths of adapter `name`. */
  modulesToSave(name: string): string[] {
    return [...this.#saved].filter(([, s]) => s.has(name)).map(([p]) => p);
  }
  /** @internal */
  savedModule(path: string): SavedModule | undefined {
    return this.#saved.get(path);
  }

  #unknown(name: string): NotFoundError {
    return new NotFoundError(
      `no adapter "${name}"; adapters: ${this.adapters.map((a) => `"${a}"`).join(', ') || '(none)'}`,
      this.adapters,
    );
  }

  /**
   * Adds an adapter (PEFT's `add_adapter`): finds its targets by PEFT's
   * rules, wraps them (or adds to existing wrappers), gives each
   * `modules_to_save` module a copy. The new adapter is not active until
   * {@link setAdapter} (as in PEFT); `wrap` activates the first one.
   */
  addAdapter(
    name: string,
    input: LoraConfigInput | LoraConfig,
    options: AddAdapterOptions = {},
  ): void {
    this.#check();
    checkAdapterName(name);
    if (this.#configs.has(name)) {
      throw new ValidationError(
        `adapter "${name}" already exists; delete it first or pick another name`,
      );
    }
    const parsed = loraConfig(input);
    const config: LoraConfig = {
      ...parsed,
      targetModules: resolveTargetModules(this.model, parsed),
    };
    const targets = findTargets(this.model, config);
    const saved = findModulesToSave(this.model, config);
    for (const t of targets) {
      const clash = saved.find((s) => t.name === s || t.name.startsWith(`${s}.`));
      if (clash) {
        throw new ValidationError(
          `module "${t.name}" is both an adapter target and inside modules_to_save "${clash}"`,
        );
      }
    }
    // Validate all modules_to_save before changing the model.
    const newSaved = saved
      .filter((p) => !this.#saved.has(p))
      .map((p) => new SavedModule(p, this.model.getModule(p), this.model));
    const rng = new Rng(options.seed ?? 0).fork(`lora:${name}`);
    const initial = new Map<string, { a: tf.Tensor; b: tf.Tensor }>();
    for (const { name: path, module } of targets) {
      let layer = this.#layers.get(path);
      if (!layer) {
        if (module instanceof Linear || module instanceof Conv1D) layer = new LoraLinear(module);
        else if (module instanceof Embedding) layer = new LoraEmbedding(module);
        else if (module instanceof LoraLayer) {
          throw new ValidationError(
            `"${path}" already carries adapters of another LoraModel; add adapters through that one (addAdapter) or unload it first`,
          );
        } else throw new ValidationError(`cannot adapt "${path}" (${module.constructor.name})`);
        this.model.replaceModule(path, layer);
        this.#layers.set(path, layer);
        layer.activeAdapters = [...this.#active];
        layer.disabled = this.#disabled;
      }
      const r = patternValue(config.rankPattern, path, config.r);
      const alpha = patternValue(config.alphaPattern, path, config.loraAlpha);
      const spec: AdapterSpec = {
        r,
        alpha,
        scaling: loraScaling(alpha, r, config.useRslora),
        dropout: config.loraDropout,
        useRslora: config.useRslora,
        useDora: config.useDora,
        loraBias: config.loraBias,
        init: config.initLoraWeights,
      };
      const wasMerged = layer.merged;
      if (wasMerged && typeof spec.init === 'string' && spec.init !== 'gaussian') {
        throw new ValidationError(
          `unmerge before adding a ${spec.init} adapter: it reads the base weight`,
        );
      }
      if (layer instanceof LoraLinear) layer.addAdapter(name, spec, rng.fork(path));
      else (layer as LoraEmbedding).addAdapter(name, spec, rng.fork(path));
      if (
        typeof spec.init === 'string' &&
        spec.init !== 'gaussian' &&
        layer instanceof LoraLinear
      ) {
        const f = layer.factors(name);
        initial.set(path, { a: tf.keep(tf.clone(f.a)), b: tf.keep(tf.clone(f.b)) });
      }
    }
    for (const s of newSaved) this.#saved.set(s.path, s);
    for (const p of saved) (this.#saved.get(p) as SavedModule).addAdapter(name);
    if (initial.size > 0) this.#initial.set(name, initial);
    this.#configs.set(name, config);
    this.#refreshTrainable();
  }

  /** Makes `names` the active adapters (PEFT's `set_adapter`); unmerges first if merged. */
  setAdapter(names: string | readonly string[]): void {
    this.#check();
    const list = typeof names === 'string' ? [names] : [...names];
    for (const n of list) if (!this.#configs.has(n)) throw this.#unknown(n);
    if ([...this.#layers.values()].some((l) => l.merged)) this.unmerge();
    this.#active = list;
    for (const layer of this.#layers.values()) layer.activeAdapters = [...list];
    this.#syncSaved();
    this.#refreshTrainable();
  }

  /** Removes an adapter everywhere (PEFT's `delete_adapter`). */
  deleteAdapter(name: string): void {
    this.#check();
    if (!this.#configs.has(name)) throw this.#unknown(name);
    for (const layer of this.#layers.values()) layer.deleteAdapter(name);
    for (const s of this.#saved.values()) s.deleteAdapter(name);
    for (const t of this.#initial.get(name)?.values() ?? []) {
      t.a.dispose();
      t.b.dispose();
    }
    this.#initial.delete(name);
    this.#configs.delete(name);
    this.#extras.delete(name);
    this.#active = this.#active.filter((n) => n !== name);
    if (this.#active.length === 0 && this.#configs.size > 0) this.#active = [this.adapters[0]];
    for (const layer of this.#layers.values()) layer.activeAdapters = [...this.#active];
    this.#syncSaved();
    this.#refreshTrainable();
  }

  /** Base layers only, and original `modules_to_save` values (PEFT's `disable_adapter`); unmerges first. */
  disableAdapters(): void {
    this.#check();
    if ([...this.#layers.values()].some((l) => l.merged)) this.unmerge();
    this.#disabled = true;
    for (const layer of this.#layers.values()) layer.disabled = true;
    this.#syncSaved();
  }

  enableAdapters(): void {
    this.#check();
    this.#disabled = false;
    for (const layer of this.#layers.values()) layer.disabled = false;
    this.#syncSaved();
  }

  /** Runs `fn` with adapters disabled, then restores them (PEFT's `with model.disable_adapter():`). */
  withAdaptersDisabled<T>(fn: () => T): T {
    const was = this.#disabled;
    this.disableAdapters();
    try {
      return fn();
    } finally {
      if (!was) this.enableAdapters();
    }
  }

  /**
   * Runs `fn` with a different adapter for each batch row (PEFT's
   * `adapter_names=[…]`, mixed-batch inference): `names[i]` is the adapter
   * of row `i`, or `'__base__'` for the base model. Inference only, as in
   * PEFT: not with merged or DoRA adapters, not in training mode, and every
   * row's `modules_to_save` copy must be the same module values.
   */
  withBatchAdapters<T>(names: readonly string[], fn: () => T): T {
    this.#check();
    for (const n of names) if (n !== '__base__' && !this.#configs.has(n)) throw this.#unknown(n);
    if (this.merged)
      throw new ValidationError(
        'mixed-batch adapters need unmerged adapters; call unmerge() first',
      );
    if ([...this.#layers.values()].some((l) => l.training)) {
      throw new ValidationError(
        'mixed-batch adapters are for inference: call model.eval() first (as PEFT requires)',
      );
    }
    const previous = new Map([...this.#saved].map(([p, s]) => [p, s.live]));
    for (const [path, s] of this.#saved) {
      const owners = new Set(names.map((n) => (s.has(n) ? n : ORIGINAL)));
      if (owners.size > 1) {
        throw new ValidationError(
          `modules_to_save "${path}" differs between the rows' adapters (${[...owners].join(', ')}); a mixed batch needs one shared copy`,
        );
      }
      s.activate([...owners][0] ?? ORIGINAL);
    }
    for (const layer of this.#layers.values()) layer.batchAdapters = [...names];
    try {
      return fn();
    } finally {
      for (const layer of this.#layers.values()) layer.batchAdapters = undefined;
      for (const [path, owner] of previous) this.#saved.get(path)?.activate(owner);
    }
  }

  /**
   * Adds the adapters (default: the active ones) into the base weights, so
   * forward costs what the base model costs; {@link unmerge} restores the
   * base exactly (up to float rounding).
   */
  merge(names?: readonly string[]): void {
    this.#check();
    for (const n of names ?? []) if (!this.#configs.has(n)) throw this.#unknown(n);
    const merged: LoraLayer[] = [];
    try {
      for (const layer of this.#layers.values()) {
        if (layer.merge(names ?? this.#active).length > 0) merged.push(layer);
      }
    } catch (error) {
      // All or nothing: a layer that refuses leaves the others unmerged too.
      for (const layer of merged) layer.unmerge();
      throw error;
    }
  }

  unmerge(): void {
    this.#check();
    for (const layer of this.#layers.values()) layer.unmerge();
  }

  get merged(): boolean {
    return [...this.#layers.values()].some((l) => l.merged);
  }

  /**
   * Merges `names` (default: the active adapters) and removes every adapter
   * layer, returning the plain model with its original parameter names
   * (ready for `saveHF`). `modules_to_save` keep the active adapter's copy.
   */
  mergeAndUnload(names?: readonly string[]): Module {
    this.#check();
    this.unmerge();
    this.merge(names);
    return this.#unload();
  }

  /** Removes every adapter layer without merging (PEFT's `unload`). */
  unload(): Module {
    this.#check();
    this.unmerge();
    return this.#unload();
  }

  #unload(): Module {
    for (const [path, layer] of this.#layers) {
      this.model.replaceModule(path, layer.base_layer);
      for (const name of layer.adapterNames()) {
        for (const p of layer.adapterParameters(name)) p.dispose();
      }
      layer.specs.clear();
    }
    this.#layers.clear();
    for (const s of this.#saved.values()) s.release();
    this.#saved.clear();
    for (const m of this.#initial.values()) {
      for (const t of m.values()) {
        t.a.dispose();
        t.b.dispose();
      }
    }
    this.#initial.clear();
    this.#unloaded = true;
    for (const p of this.model.parameters()) p.trainable = this.#wasTrainable.get(p) ?? true;
    return this.model;
  }

  /** @internal The initial factors of a PiSSA/OLoRA adapter by module path. */
  initialFactors(name: string): Map<string, { a: tf.Tensor; b: tf.Tensor }> | undefined {
    return this.#initial.get(name);
  }

  /** Trainable parameters by dotted name (what an optimizer steps). */
  trainableParameters(): Record<string, Parameter> {
    return this.model.trainableParameters();
  }

  /** PEFT's `get_nb_trainable_parameters`. */
  parameterCounts(): ParameterCounts {
    const total = this.model.parameterCount();
    const trainable = this.model.trainableParameterCount();
    return { trainable, total, percent: total === 0 ? 0 : (100 * trainable) / total };
  }

  /** Every parameter of adapter `name` by in-memory dotted name (factors, magnitudes). */
  adapterParameters(name: string): Record<string, Parameter> {
    if (!this.#configs.has(name)) throw this.#unknown(name);
    const own = new Set<Parameter>();
    for (const layer of this.#layers.values()) {
      if (layer.specs.has(name)) for (const p of layer.adapterParameters(name)) own.add(p);
    }
    return Object.fromEntries(this.model.namedParameters().filter(([, p]) => own.has(p)));
  }

  #syncSaved(): void {
    for (const s of this.#saved.values()) {
      const owner = this.#disabled ? ORIGINAL : (this.#active.find((a) => s.has(a)) ?? ORIGINAL);
      s.activate(owner);
    }
  }

  /**
   * PEFT's `_mark_only_adapters_as_trainable` plus `modules_to_save`: every
   * parameter frozen except the active adapters' (unless loaded in inference
   * mode), the live copies of `modules_to_save`, and biases per `bias`.
   */
  #refreshTrainable(): void {
    for (const p of this.model.parameters()) p.trainable = false;
    const trainable = this.#active.filter((n) => !this.#configs.get(n)?.inferenceMode);
    for (const layer of this.#layers.values()) {
      for (const n of trainable)
        if (layer.specs.has(n)) for (const p of layer.adapterParameters(n)) p.trainable = true;
    }
    for (const s of this.#saved.values()) {
      if (trainable.includes(s.live)) for (const [, p] of s.params) p.trainable = true;
    }
    for (const n of trainable) {
      const bias = this.#configs.get(n)?.bias;
      if (bias === 'all') {
        for (const [name, p] of this.model.namedParameters())
          if (name.includes('bias')) p.trainable = true;
      } else if (bias === 'lora_only') {
        for (const layer of this.#layers.values()) {
          const b = (layer.base_layer as { bias?: Parameter }).bias;
          if (b && layer.specs.has(n)) b.trainable = true;
        }
      }
    }
  }

  /** Recomputes trainability (after loading weights into an inference-mode adapter, say). */
  refreshTrainable(): void {
    this.#refreshTrainable();
  }

  /** Disposes every tensor of the model, adapters included. */
  dispose(): void {
    for (const s of this.#saved.values()) s.release();
    for (const m of this.#initial.values()) {
      for (const t of m.values()) {
        t.a.dispose();
        t.b.dispose();
      }
    }
    this.model.dispose();
  }

  /** @internal Registers a config for an adapter created outside addAdapter (weighted combinations). */
  registerConfig(name: string, config: LoraConfig): void {
    this.#configs.set(name, config);
  }
}

/** PEFT's `get_peft_model` for LoRA: `LoraModel.wrap(model, config)`. */
export function getPeftModel(
  model: Module,
  config: LoraConfigInput | LoraConfig,
  options: AddAdapterOptions & { adapterName?: string } = {},
): LoraModel {
  return LoraModel.wrap(model, config, options);
}
