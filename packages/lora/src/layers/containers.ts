import { Module, type Parameter } from '@kd/nn';
import type * as tf from '@tensorflow/tfjs-core';

/**
 * PEFT's `nn.ModuleDict` keyed by adapter name (`lora_A.default`): one child
 * per adapter. Module trees cannot drop a child, so deleting an adapter
 * builds a new dict without it ({@link without}) and swaps it in.
 */
export class AdapterDict<M extends Module = Module> extends Module {
  readonly #items = new Map<string, M>();

  set(name: string, module: M): M {
    this.addModule(name, module);
    this.#items.set(name, module);
    return module;
  }
  get(name: string): M | undefined {
    return this.#items.get(name);
  }
  has(name: string): boolean {
    return this.#items.has(name);
  }
  names(): string[] {
    return [...this.#items.keys()];
  }
  /** A new dict with every entry but `name` (the entries are shared, not copied). */
  without(name: string): AdapterDict<M> {
    const out = new AdapterDict<M>();
    for (const [k, m] of this.#items) if (k !== name) out.set(k, m);
    out.training = this.training;
    return out;
  }
}

/** PEFT's `nn.ParameterDict` keyed by adapter name (`lora_embedding_A.default`). */
export class ParamDict extends Module {
  readonly #items = new Map<string, Parameter>();

  add(name: string, values: { data: Float32Array; shape: number[] }, trainable = true): Parameter {
    const p = this.addParameter(name, values, trainable);
    this.#items.set(name, p);
    return p;
  }
  get(name: string): Parameter | undefined {
    return this.#items.get(name);
  }
  has(name: string): boolean {
    return this.#items.has(name);
  }
  names(): string[] {
    return [...this.#items.keys()];
  }
  without(name: string): ParamDict {
    const out = new ParamDict();
    for (const [k, p] of this.#items) {
      if (k === name) continue;
      out.registerParameter(k, p);
      out.#items.set(k, p);
    }
    return out;
  }
}

/**
 * The factor matrices of one adapter: `weight` (and for `lora_B` with
 * `lora_bias`, `bias`), named as PEFT's `nn.Linear` children so the
 * parameter paths are PEFT's (`query.lora_A.default.weight`).
 */
export class LoraWeights extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | undefined;

  constructor(
    weight: { data: Float32Array; shape: number[] },
    bias?: { data: Float32Array; shape: number[] },
  ) {
    super();
    this.weight = this.addParameter('weight', weight);
    this.bias = bias ? this.addParameter('bias', bias) : undefined;
  }
}

/** DoRA's per-output-row magnitude (`lora_magnitude_vector.default.weight`, shape `[out]`). */
export class DoraMagnitude extends Module {
  readonly weight: Parameter;
  constructor(values: Float32Array) {
    super();
    this.weight = this.addParameter('weight', { data: values, shape: [values.length] });
  }
}

/** Values of a variable as a fresh float32 array (never the backend's own buffer). */
export function readValues(v: tf.Tensor): Float32Array {
  return Float32Array.from(v.dataSync() as Float32Array);
}
