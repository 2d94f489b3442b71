import { NumericError, type Rng, ShapeError, ValidationError } from '@kd/core';
import { Conv1D, Dropout, type Embedding, type Linear, Module, type Parameter } from '@kd/nn';
import * as tf from '@tensorflow/tfjs-core';
import type { LoraConfig } from '../config.js';
import { initEmbedding, initLinear } from '../init.js';
import type { AdaptableKind } from '../targets.js';
import { AdapterDict, DoraMagnitude, LoraWeights, ParamDict, readValues } from './containers.js';
import { detachedRowNorm, explicitRowNorm } from './dora.js';

/** One adapter's settings on one layer (rank and alpha after `rank_pattern` / `alpha_pattern`). */
export interface AdapterSpec {
  r: number;
  alpha: number;
  /** `alpha / r`, or `alpha / √r` with rsLoRA. */
  scaling: number;
  dropout: number;
  useRslora: boolean;
  useDora: boolean;
  loraBias: boolean;
  init: LoraConfig['initLoraWeights'];
}

/**
 * What PEFT's `LoraLayer` holds: the wrapped `base_layer` and, per adapter
 * name, its factors, dropout and (DoRA) magnitude, with PEFT's child names so
 * parameter paths read `…query.lora_A.default.weight`. Tracks which adapters
 * are active, which are merged into the base weight, and whether adapters
 * are disabled.
 */
export abstract class LoraLayer extends Module {
  readonly isLoraLayer = true;
  abstract readonly kind: AdaptableKind;
  readonly base_layer: Module;
  readonly specs = new Map<string, AdapterSpec>();
  /** Adapters used by forward (PEFT's `active_adapters`). */
  activeAdapters: string[] = [];
  /** Merged into the base weight, in merge order (unmerge pops from the end). */
  readonly mergedAdapters: string[] = [];
  /** When true, forward is the base layer alone. */
  disabled = false;

  constructor(base: Module) {
    super();
    this.base_layer = this.addModule('base_layer', base);
  }

  get merged(): boolean {
    return this.mergedAdapters.length > 0;
  }

  adapterNames(): string[] {
    return [...this.specs.keys()];
  }

  /** The base weight parameter (what merging changes). */
  get baseWeight(): Parameter {
    return (this.base_layer as unknown as { weight: Parameter }).weight;
  }

  /**
   * Mixed-batch inference (PEFT's `adapter_names`): one adapter name per
   * batch row (`'__base__'` for none). While set, each row gets only its own
   * adapter. Set through `LoraModel.withBatchAdapters`.
   */
  batchAdapters: readonly string[] | undefined = undefined;

  /** The adapters forward adds: active (or named per row), present here, and not merged. */
  protected pending(): string[] {
    if (this.disabled) return [];
    if (this.batchAdapters) {
      if (this.merged) {
        throw new ValidationError(
          'mixed-batch adapters need unmerged adapters; call unmerge() first',
        );
      }
      return [...new Set(this.batchAdapters)].filter((n) => this.specs.has(n));
    }
    return this.activeAdapters.filter((n) => this.specs.has(n) && !this.mergedAdapters.includes(n));
  }

  /**
   * `[N, 1]` 1/0 weights selecting the flattened rows of adapter `name` in a
   * mixed batch (`N` = batch × positions), or undefined outside one.
   */
  protected rowMask(name: string, leading: number, n: number): tf.Tensor | undefined {
    const rows = this.batchAdapters;
    if (!rows) return undefined;
    if (leading !== rows.length || n % rows.length !== 0) {
      throw new ShapeError(
        `mixed-batch adapter names were given for ${rows.length} rows, but this layer's input has ${leading} rows`,
        { where: this.constructor.name },
      );
    }
    const per = n / rows.length;
    const mask = new Float32Array(n);
    rows.forEach((r, i) => {
      if (r === name) mask.fill(1, i * per, (i + 1) * per);
    });
    return tf.tensor2d(mask, [n, 1]);
  }

  /** Every parameter that belongs to adapter `name` on this layer. */
  abstract adapterParameters(name: string): Parameter[];
  /** `s·ΔW` in the base weight's own layout. */
  abstract deltaWeight(name: string): tf.Tensor;
  protected abstract removeAdapterModules(name: string): void;

  /** Removes adapter `name` from this layer (unmerging it first if merged). */
  deleteAdapter(name: string): void {
    if (!this.specs.has(name)) return;
    if (this.mergedAdapters.includes(name)) this.unmerge();
    for (const p of this.adapterParameters(name)) p.dispose();
    this.removeAdapterModules(name);
    this.specs.delete(name);
    this.activeAdapters = this.activeAdapters.filter((n) => n !== name);
    this.doraNorms.get(name)?.dispose();
    this.doraNorms.delete(name);
  }

  /** Norms cached at merge time so DoRA's unmerge is the exact inverse. */
  protected readonly doraNorms = new Map<string, tf.Tensor1D>();

  /**
   * Adds `s·ΔW` of each adapter (default: the active ones not yet merged) to
   * the base weight, checking the result is finite first (PEFT's
   * `safe_merge`), so a broken adapter never corrupts the base.
   */
  merge(names?: readonly string[]): string[] {
    const todo = (names ?? this.activeAdapters).filter(
      (n) => this.specs.has(n) && !this.mergedAdapters.includes(n),
    );
    // DoRA rescales the whole weight row by row, so it composes with nothing else on the layer.
    const dora = todo.find((n) => this.specs.get(n)?.useDora);
    if (dora && todo.length + this.mergedAdapters.length > 1) {
      throw new ValidationError(
        `DoRA adapter "${dora}" normalises the whole weight; merge it alone (other adapters on this layer: ${[...this.mergedAdapters, ...todo].filter((n) => n !== dora).join(', ')})`,
      );
    }
    for (const name of todo) {
      this.mergeOne(name);
      this.mergedAdapters.push(name);
    }
    return todo;
  }

  /** Undoes every merge, newest first. */
  unmerge(): void {
    while (this.mergedAdapters.length > 0) {
      const name = this.mergedAdapters.pop() as string;
      this.unmergeOne(name);
    }
  }

  protected abstract mergeOne(name: string): void;
  protected abstract unmergeOne(name: string): void;

  protected assignChecked(target: Parameter, value: tf.Tensor, adapter: string): void {
    const finite = tf.tidy(() => tf.all(tf.isFinite(value)).dataSync()[0]);
    if (!finite) {
      value.dispose();
      throw new NumericError(
        `merging adapter "${adapter}" gives non-finite weights; the adapter seems broken (base left unchanged)`,
      );
    }
    target.assign(value);
    value.dispose();
  }

  override dispose(): void {
    for (const t of this.doraNorms.values()) t.dispose();
    this.doraNorms.clear();
    super.dispose();
  }
}

/**
 * LoRA on a `Linear` (weight `[out, in]`) or GPT-2 `Conv1D` (weight
 * `[in, out]`, PEFT's `fan_in_fan_out`):
 *
 *   y = base(x) + Σ_adapters s · B(A(dropout(x)))
 *
 * evaluated as two thin matmuls, so `B·A` is never formed. DoRA adapters
 * compute `y = base(x) + (m/‖W+sBA‖ − 1)·(Wx) + (m/‖W+sBA‖)·s·B(A(x))` with
 * the norm detached (PEFT's `DoraLinearLayer`), `Wx` recomputed on the
 * dropped-out input while dropout is active.
 */
export class LoraLinear extends LoraLayer {
  readonly kind: AdaptableKind;
  readonly fanInFanOut: boolean;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly lora_dropout: AdapterDict<Dropout>;
  readonly lora_A: AdapterDict<LoraWeights>;
  readonly lora_B: AdapterDict<LoraWeights>;
  readonly lora_magnitude_vector: AdapterDict<DoraMagnitude>;

  constructor(base: Linear | Conv1D) {
    super(base);
    this.kind = base instanceof Conv1D ? 'conv1d' : 'linear';
    this.fanInFanOut = base instanceof Conv1D;
    this.inFeatures = base.inFeatures;
    this.outFeatures = base.outFeatures;
    this.lora_dropout = this.addModule('lora_dropout', new AdapterDict<Dropout>());
    this.lora_A = this.addModule('lora_A', new AdapterDict<LoraWeights>());
    this.lora_B = this.addModule('lora_B', new AdapterDict<LoraWeights>());
    this.lora_magnitude_vector = this.addModule(
      'lora_magnitude_vector',
      new AdapterDict<DoraMagnitude>(),
    );
    this.training = base.training;
  }

  get weight(): Parameter {
    return this.baseWeight;
  }
  get bias(): Parameter | undefined {
    return (this.base_layer as Linear).bias;
  }

  /** The base weight as `[out, in]` (a new tensor for Conv1D, the variable itself otherwise). */
  weightOutIn(): tf.Tensor2D {
    const w = this.baseWeight as tf.Tensor2D;
    return this.fanInFanOut ? tf.transpose(w) : w;
  }

  /**
   * Creates adapter `name`. Its factors come from `init` via `rng`; PiSSA
   * and OLoRA also replace the base weight by the residual. DoRA's magnitude
   * starts at ‖W + s·B·A‖ per row.
   */
  addAdapter(name: string, spec: AdapterSpec, rng: Rng): void {
    if (this.specs.has(name)) {
      throw new ValidationError(`adapter "${name}" already exists on this layer`);
    }
    if (spec.loraBias && !this.bias) {
      // PEFT only warns, then cannot merge; refusing early is kinder.
      throw new ValidationError(
        'loraBias needs a base layer with a bias (merging would be impossible)',
        [{ path: 'loraBias', message: 'base layer has no bias' }],
      );
    }
    const { r } = spec;
    const init = initLinear(
      spec.init,
      { out: this.outFeatures, in: this.inFeatures, r, scaling: spec.scaling },
      rng,
      () => readValues(tf.tidy(() => this.weightOutIn())),
    );
    if (init.residual) {
      const residual = init.residual;
      tf.tidy(() => {
        const t = tf.tensor2d(residual, [this.outFeatures, this.inFeatures]);
        this.baseWeight.assign(this.fanInFanOut ? tf.transpose(t) : t);
      });
    }
    this.specs.set(name, spec);
    this.lora_dropout.set(name, new Dropout(spec.dropout, rng.fork('dropout')));
    this.lora_A.set(name, new LoraWeights({ data: init.a, shape: [r, this.inFeatures] }));
    this.lora_B.set(
      name,
      new LoraWeights(
        { data: init.b, shape: [this.outFeatures, r] },
        spec.loraBias
          ? { data: new Float32Array(this.outFeatures), shape: [this.outFeatures] }
          : undefined,
      ),
    );
    if (spec.useDora) {
      const m = tf.tidy(() => {
        const w = this.weightOutIn();
        const a = this.lora_A.get(name)?.weight as tf.Tensor2D;
        const b = this.lora_B.get(name)?.weight as tf.Tensor2D;
        return explicitRowNorm(tf.add(w, tf.mul(tf.matMul(b, a), spec.scaling)) as tf.Tensor2D);
      });
      this.lora_magnitude_vector.set(name, new DoraMagnitude(readValues(m)));
      m.dispose();
    }
    for (const m of [this.lora_dropout, this.lora_A, this.lora_B, this.lora_magnitude_vector]) {
      m.train(this.training);
    }
  }

  /** The initial factors, for converting a PiSSA/OLoRA adapter to plain LoRA on save. */
  factors(name: string): { a: Parameter; b: Parameter; bias?: Parameter; magnitude?: Parameter } {
    const a = this.lora_A.get(name);
    const b = this.lora_B.get(name);
    if (!a || !b) throw new ValidationError(`no adapter "${name}" on this layer`);
    return {
      a: a.weight,
      b: b.weight,
      bias: b.bias,
      magnitude: this.lora_magnitude_vector.get(name)?.weight,
    };
  }

  adapterParameters(name: string): Parameter[] {
    const out: Parameter[] = [];
    const a = this.lora_A.get(name);
    const b = this.lora_B.get(name);
    if (a) out.push(a.weight);
    if (b) out.push(b.weight, ...(b.bias ? [b.bias] : []));
    const m = this.lora_magnitude_vector.get(name);
    if (m) out.push(m.weight);
    return out;
  }

  protected removeAdapterModules(name: string): void {
    this.replaceModule('lora_dropout', this.lora_dropout.without(name));
    this.replaceModule('lora_A', this.lora_A.without(name));
    this.replaceModule('lora_B', this.lora_B.without(name));
    this.replaceModule('lora_magnitude_vector', this.lora_magnitude_vector.without(name));
  }

  forward(x: tf.Tensor): tf.Tensor {
    const pending = this.pending();
    const base = this.base_layer as Linear;
    if (pending.length === 0) return base.forward(x);
    if (x.rank < 1 || x.shape[x.rank - 1] !== this.inFeatures) {
      throw new ShapeError(
        `expected input [..., ${this.inFeatures}], got [${x.shape.join(', ')}]`,
        {
          where: 'LoraLinear',
        },
      );
    }
    return tf.tidy(() => {
      const lead = x.shape.slice(0, -1);
      const x2 = x.reshape([-1, this.inFeatures]);
      const baseOut = base.forward(x2);
      let result = baseOut;
      for (const name of pending) {
        const spec = this.specs.get(name) as AdapterSpec;
        const a = (this.lora_A.get(name) as LoraWeights).weight;
        const b = this.lora_B.get(name) as LoraWeights;
        const dropout = this.lora_dropout.get(name) as Dropout;
        const dropping = dropout.training && dropout.p > 0;
        const xd = dropping ? dropout.forward(x2) : x2;
        let lora = tf.matMul(tf.matMul(xd, a, false, true), b.weight, false, true);
        if (b.bias) lora = tf.add(lora, b.bias);
        const mask = this.rowMask(name, x.rank === 1 ? 1 : x.shape[0], x2.shape[0]);
        if (mask && spec.useDora) {
          throw new ValidationError(
            `mixed-batch adapters do not support DoRA ("${name}"), as in PEFT`,
          );
        }
        if (!spec.useDora) {
          const scaled = tf.mul(lora, spec.scaling);
          result = tf.add(result, mask ? tf.mul(scaled, mask) : scaled);
          continue;
        }
        const magnitude = (this.lora_magnitude_vector.get(name) as DoraMagnitude).weight;
        const w = this.weightOutIn();
        const norm = detachedRowNorm(w, a as tf.Tensor2D, b.weight as tf.Tensor2D, spec.scaling);
        const scale = tf.div(magnitude, norm);
        // Wx without the bias: recomputed on the dropped input while dropout is on (PEFT).
        const plain = dropping
          ? tf.matMul(xd, w, false, true)
          : this.bias
            ? tf.sub(baseOut, this.bias)
            : baseOut;
        const dora = tf.add(
          tf.mul(tf.sub(scale, 1), plain),
          tf.mul(tf.mul(scale, lora), spec.scaling),
        );
        result = tf.add(result, dora);
      }
      return x.rank === 2 ? result : result.reshape([...lead, this.outFeatures]);
    });
  }

  /** `s·B·A` as `[out, in]`. */
  deltaOutIn(name: string): tf.Tensor2D {
    const spec = this.specs.get(name);
    if (!spec) throw new ValidationError(`no adapter "${name}" on this layer`);
    return tf.tidy(() => {
      const { a, b } = this.factors(name);
      return tf.mul(tf.matMul(b, a), spec.scaling) as tf.Tensor2D;
    });
  }

  /** `s·B·A` in the base layout (`[out, in]`, or `[in, out]` for Conv1D). */
  deltaWeight(name: string): tf.Tensor {
    return tf.tidy(() => {
      const d = this.deltaOutIn(name);
      return this.fanInFanOut ? tf.transpose(d) : d;
    });
  }

  protected mergeOne(name: string): void {
    const spec = this.specs.get(name) as AdapterSpec;
    if (!spec.useDora) {
      this.assignChecked(
        this.baseWeight,
        tf.tidy(() => tf.add(this.baseWeight, this.deltaWeight(name))),
        name,
      );
    } else {
      const { magnitude } = this.factors(name);
      const next = tf.tidy(() => {
        const combined = tf.add(this.weightOutIn(), this.deltaOutIn(name)) as tf.Tensor2D;
        const norm = tf.keep(explicitRowNorm(combined));
        this.doraNorms.get(name)?.dispose();
        this.doraNorms.set(name, norm);
        const factor = tf.div(magnitude as tf.Tensor1D, norm).reshape([-1, 1]);
        const merged = tf.mul(factor, combined);
        return this.fanInFanOut ? tf.transpose(merged) : merged;
      });
      this.assignChecked(this.baseWeight, next, name);
    }
    const bias = this.factors(name).bias;
    if (bias) {
      const baseBias = this.bias as Parameter;
      this.assignChecked(
        baseBias,
        tf.tidy(() => tf.add(baseBias, tf.mul(bias, spec.scaling))),
        name,
      );
    }
  }

  protected unmergeOne(name: string): void {
    const spec = this.specs.get(name) as AdapterSpec;
    if (!spec.useDora) {
      tf.tidy(() => this.baseWeight.assign(tf.sub(this.baseWeight, this.deltaWeight(name))));
    } else {
      const { magnitude } = this.factors(name);
      const norm = this.doraNorms.get(name) as tf.Tensor1D;
      tf.tidy(() => {
        const factor = tf.div(magnitude as tf.Tensor1D, norm).reshape([-1, 1]);
        const delta = this.deltaOutIn(name);
        const original = tf.sub(tf.div(this.weightOutIn(), factor), delta);
        this.baseWeight.assign(this.fanInFanOut ? tf.transpose(original) : original);
      });
      norm.dispose();
      this.doraNorms.delete(name);
    }
    const bias = this.factors(name).bias;
    if (bias) {
      const baseBias = this.bias as Parameter;
      tf.tidy(() => baseBias.assign(tf.sub(baseBias, tf.mul(bias, spec.scaling))));
    }
  }
}

/**
 * LoRA on an `Embedding` (PEFT's `lora.Embedding`): `lora_embedding_A`
 * `[r, num]`, `lora_embedding_B` `[dim, r]`, and
 * `y = base(ids) + s · A[:, ids]ᵀ · Bᵀ` (a gather of r columns, then a thin
 * matmul). PEFT applies no dropout to token ids.
 */
export class LoraEmbedding extends LoraLayer {
  readonly kind = 'embedding' as const;
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly lora_embedding_A: ParamDict;
  readonly lora_embedding_B: ParamDict;

  constructor(base: Embedding) {
    super(base);
    this.numEmbeddings = base.numEmbeddings;
    this.embeddingDim = base.embeddingDim;
    this.lora_embedding_A = this.addModule('lora_embedding_A', new ParamDict());
    this.lora_embedding_B = this.addModule('lora_embedding_B', new ParamDict());
    this.training = base.training;
  }

  get weight(): Parameter {
    return this.baseWeight;
  }

  addAdapter(name: string, spec: AdapterSpec, rng: Rng): void {
    if (this.specs.has(name))
      throw new ValidationError(`adapter "${name}" already exists on this layer`);
    if (spec.useDora) {
      throw new ValidationError('DoRA on embedding layers is not supported by @kd/lora yet', [
        { path: 'useDora', message: 'target Linear layers only, or set useDora: false' },
      ]);
    }
    if (spec.loraBias) {
      throw new ValidationError('loraBias is not supported for embedding layers (as in PEFT)', [
        { path: 'loraBias', message: 'not supported for Embedding' },
      ]);
    }
    const { a, b } = initEmbedding(
      spec.init,
      { num: this.numEmbeddings, dim: this.embeddingDim, r: spec.r },
      rng,
    );
    this.specs.set(name, spec);
    this.lora_embedding_A.add(name, { data: a, shape: [spec.r, this.numEmbeddings] });
    this.lora_embedding_B.add(name, { data: b, shape: [this.embeddingDim, spec.r] });
  }

  factors(name: string): { a: Parameter; b: Parameter } {
    const a = this.lora_embedding_A.get(name);
    const b = this.lora_embedding_B.get(name);
    if (!a || !b) throw new ValidationError(`no adapter "${name}" on this layer`);
    return { a, b };
  }

  adapterParameters(name: string): Parameter[] {
    const a = this.lora_embedding_A.get(name);
    const b = this.lora_embedding_B.get(name);
    return [...(a ? [a] : []), ...(b ? [b] : [])];
  }

  protected removeAdapterModules(name: string): void {
    this.replaceModule('lora_embedding_A', this.lora_embedding_A.without(name));
    this.replaceModule('lora_embedding_B', this.lora_embedding_B.without(name));
  }

  forward(ids: tf.Tensor): tf.Tensor {
    const pending = this.pending();
    const base = this.base_layer as Embedding;
    if (pending.length === 0) return base.forward(ids);
    return tf.tidy(() => {
      let result = base.forward(ids);
      const flat = ids.reshape([-1]);
      for (const name of pending) {
        const spec = this.specs.get(name) as AdapterSpec;
        const { a, b } = this.factors(name);
        const afterA = tf.gather(tf.transpose(a), flat); // [N, r]
        let delta = tf.mul(tf.matMul(afterA, b, false, true), spec.scaling);
        const mask = this.rowMask(name, ids.rank === 0 ? 1 : ids.shape[0], flat.shape[0]);
        if (mask) delta = tf.mul(delta, mask);
        result = tf.add(result, delta.reshape(result.shape));
      }
      return result;
    });
  }

  /** `s·(B·A)ᵀ`, shaped like the embedding table `[num, dim]`. */
  deltaWeight(name: string): tf.Tensor {
    const spec = this.specs.get(name);
    if (!spec) throw new ValidationError(`no adapter "${name}" on this layer`);
    return tf.tidy(() => {
      const { a, b } = this.factors(name);
      return tf.mul(tf.transpose(tf.matMul(b, a)), spec.scaling);
    });
  }

  protected mergeOne(name: string): void {
    this.assignChecked(
      this.baseWeight,
      tf.tidy(() => tf.add(this.baseWeight, this.deltaWeight(name))),
      name,
    );
  }

  protected unmergeOne(name: string): void {
    tf.tidy(() => this.baseWeight.assign(tf.sub(this.baseWeight, this.deltaWeight(name))));
  }
}
