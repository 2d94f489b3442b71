import { NotFoundError, ShapeError, type StoredTensor } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * A small module tree in the style of `torch.nn.Module`: parameters and
 * children are registered under PyTorch's names, so `namedParameters()` yields
 * the dotted paths a PyG state dict uses (`conv1.lin.weight`, `conv2.att_src`),
 * and `stateDict()`/`loadStateDict()` move weights in and out without a
 * backend. Weights are stored in PyTorch's layout (Linear: `[out, in]`).
 */
export abstract class Module {
  /** Dropout and attention dropout act only while training, as in torch. */
  training = true;
  readonly #params = new Map<string, tf.Variable>();
  readonly #children = new Map<string, Module>();

  /** Registers a trainable parameter; `values` are copied into a new tf.Variable. */
  protected addParameter(
    name: string,
    init: { data: Float32Array; shape: readonly number[] },
    trainable = true,
  ): tf.Variable {
    const { data: values, shape } = init;
    const size = shape.reduce((a, d) => a * d, 1);
    if (values.length !== size) {
      throw new ShapeError(`${values.length} values for shape [${shape.join(', ')}]`, {
        where: `${this.constructor.name}.${name}`,
      });
    }
    // tfjs variable names are process-global, so let tfjs pick a unique one;
    // the dotted name lives in this tree.
    const v = tf.tidy(() => tf.variable(tf.tensor(values, [...shape], 'float32'), trainable));
    this.#params.set(name, v);
    return v;
  }

  protected addModule<M extends Module>(name: string, module: M): M {
    this.#children.set(name, module);
    return module;
  }

  /** `[dottedName, variable]` for every parameter, children first in registration order. */
  namedParameters(prefix = ''): [string, tf.Variable][] {
    const out: [string, tf.Variable][] = [];
    for (const [name, p] of this.#params) out.push([prefix + name, p]);
    for (const [name, child] of this.#children) {
      out.push(...child.namedParameters(`${prefix}${name}.`));
    }
    return out;
  }

  /** Parameters keyed by dotted name. */
  parameterMap(): Record<string, tf.Variable> {
    return Object.fromEntries(this.namedParameters());
  }

  parameters(): tf.Variable[] {
    return this.namedParameters().map(([, p]) => p);
  }

  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix.replace(/\.$/, ''), this]];
    for (const [name, child] of this.#children)
      out.push(...child.namedModules(`${prefix}${name}.`));
    return out;
  }

  /** Total number of scalar parameters. */
  numParameters(): number {
    return this.parameters().reduce((a, p) => a + p.size, 0);
  }

  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Parameter values as backend-free data, by dotted name (PyTorch layout). */
  stateDict(): Record<string, StoredTensor> {
    const out: Record<string, StoredTensor> = {};
    for (const [name, p] of this.namedParameters()) {
      out[name] = { dtype: 'float32', shape: [...p.shape], data: p.dataSync() as Float32Array };
    }
    return out;
  }

  /**
   * Copies values into the parameters. `strict` (default) requires exactly
   * the same names; shapes must always match.
   */
  loadStateDict(state: Record<string, StoredTensor>, options: { strict?: boolean } = {}): void {
    const strict = options.strict ?? true;
    const params = this.parameterMap();
    const names = Object.keys(params);
    for (const [name, t] of Object.entries(state)) {
      const p = params[name];
      if (!p) {
        if (strict) {
          throw new NotFoundError(`unexpected key "${name}" in state dict`, names, {
            where: this.constructor.name,
          });
        }
        continue;
      }
      if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i])) {
        throw new ShapeError(
          `expected shape [${p.shape.join(', ')}], got [${t.shape.join(', ')}]`,
          { where: `${this.constructor.name}.${name}` },
        );
      }
      tf.tidy(() => p.assign(tf.tensor(Float32Array.from(t.data), p.shape, 'float32')));
    }
    if (strict) {
      const missing = names.filter((n) => !(n in state));
      if (missing.length > 0) {
        throw new NotFoundError(`missing keys in state dict: ${missing.join(', ')}`, names, {
          where: this.constructor.name,
        });
      }
    }
  }

  /** Frees every parameter (and anything a subclass caches). */
  dispose(): void {
    for (const p of this.#params.values()) p.dispose();
    for (const c of this.#children.values()) c.dispose();
  }
}
