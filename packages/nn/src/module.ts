import {
  closestNames,
  NotFoundError,
  ShapeError,
  type StoredTensor,
  ValidationError,
} from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { asPatternList, matchesAny, type NamePattern } from './patterns.js';

/** A trainable (or frozen) weight: a tfjs `Variable` owned by one module. */
export type Parameter = tf.Variable;

/** Called after a module's `forward` with its arguments and output. */
export type ForwardHook = (module: Module, args: readonly unknown[], output: unknown) => void;

/** What `loadStateDict` accepts per key: a tensor or raw stored data. */
export type StateValue = tf.Tensor | StoredTensor;

export interface LoadStateDictOptions {
  /**
   * Default true: every parameter must be present, no key may be unknown,
   * and every shape must match; the first problem throws and nothing is
   * assigned. With false, missing and unexpected keys are only reported
   * (shapes must still match).
   */
  strict?: boolean;
}

export interface LoadReport {
  /** Parameters the dict did not provide (they keep their values). */
  missing: string[];
  /** Keys in the dict that name no parameter. */
  unexpected: string[];
}

/**
 * A node in a model tree, PyTorch style: named child modules and named
 * parameters, addressed by dotted paths that are the Hugging Face names
 * (`encoder.layer.0.attention.self.query.weight`), so checkpoints, adapters
 * and freeze patterns all speak the same names.
 *
 * tfjs needs globally unique variable names, and a teacher and its student
 * have the same dotted names, so variables get tfjs' own unique names and the
 * dotted names live only in this tree.
 */
export abstract class Module {
  /** Dropout and other train-only behaviour is on when true (`train()` / `eval()`). */
  training = true;
  readonly #params = new Map<string, Parameter>();
  readonly #children = new Map<string, Module>();
  readonly #buffers = new Map<string, tf.Tensor>();
  #hooks: ForwardHook[] = [];
  #unhooked: unknown = undefined;

  // ---------------------------------------------------------------- building

  /**
   * Creates a parameter from initial values (copied into a new variable) and
   * registers it under `name`.
   */
  protected addParameter(
    name: string,
    init: tf.Tensor | { data: Float32Array; shape: number[] },
    trainable = true,
  ): Parameter {
    checkLocalName(name, this);
    const value = init instanceof tf.Tensor ? init : tf.tensor(init.data, init.shape, 'float32');
    const variable = tf.variable(value, trainable);
    if (value !== init) value.dispose();
    this.#params.set(name, variable);
    return variable;
  }

  /** Registers an existing variable (weight tying: one variable, two names). */
  protected registerParameter(name: string, variable: Parameter): Parameter {
    checkLocalName(name, this);
    this.#params.set(name, variable);
    return variable;
  }

  /** Registers a child module under `name` and returns it. */
  protected addModule<M extends Module>(name: string, module: M): M {
    checkLocalName(name, this);
    if (!(module instanceof Module)) {
      throw new ValidationError(`child "${name}" of ${this.constructor.name} is not a Module`);
    }
    this.#children.set(name, module);
    return module;
  }

  /**
   * Registers a constant tensor the module needs (rotary tables): disposed
   * with the module, never part of the state dict.
   */
  protected addBuffer(name: string, tensor: tf.Tensor): tf.Tensor {
    checkLocalName(name, this);
    this.#buffers.set(name, tf.keep(tensor));
    return tensor;
  }

  // ---------------------------------------------------------------- walking

  /** Direct children, in registration order. */
  children(): [string, Module][] {
    return [...this.#children.entries()];
  }

  /** This module (as `''`, or `prefix`) and every descendant, depth first; each module once. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const walk = (m: Module, name: string) => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([name, m]);
      for (const [k, c] of m.#children) walk(c, name ? `${name}.${k}` : k);
    };
    walk(this, prefix);
    return out;
  }

  /**
   * Every parameter by dotted name, depth first in registration order. A
   * variable registered under several names (tied weights) appears once,
   * under its first name, as in `torch.nn.Module.named_parameters`.
   */
  namedParameters(options: { trainableOnly?: boolean } = {}): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    for (const [mname, m] of this.namedModules()) {
      for (const [pname, p] of m.#params) {
        if (seen.has(p)) continue;
        seen.add(p);
        if (options.trainableOnly && !p.trainable) continue;
        out.push([mname ? `${mname}.${pname}` : pname, p]);
      }
    }
    return out;
  }

  /** Every parameter once (see {@link namedParameters}). */
  parameters(options: { trainableOnly?: boolean } = {}): Parameter[] {
    return this.namedParameters(options).map(([, p]) => p);
  }

  /** Trainable parameters by dotted name: what an optimizer steps. */
  trainableParameters(): Record<string, Parameter> {
    return Object.fromEntries(this.namedParameters({ trainableOnly: true }));
  }

  /**
   * Names under which an already-listed variable is registered again, mapped
   * to the canonical name: `{ 'lm_head.weight': 'transformer.wte.weight' }`.
   */
  tiedParameters(): Record<string, string> {
    const first = new Map<Parameter, string>();
    const tied: Record<string, string> = {};
    for (const [mname, m] of this.namedModules()) {
      for (const [pname, p] of m.#params) {
        const full = mname ? `${mname}.${pname}` : pname;
        const canonical = first.get(p);
        if (canonical === undefined) first.set(p, full);
        else tied[full] = canonical;
      }
    }
    // Tied names can also hide behind a shared module reached twice.
    return tied;
  }

  /** The parameter at a dotted path (tied aliases included). */
  getParameter(name: string): Parameter {
    const dot = name.lastIndexOf('.');
    const owner = dot < 0 ? this : this.#findModule(name.slice(0, dot));
    const p = owner ? owner.#params.get(name.slice(dot + 1)) : undefined;
    if (p) return p;
    const names = [
      ...this.namedParameters().map(([n]) => n),
      ...Object.keys(this.tiedParameters()),
    ];
    throw new NotFoundError(
      `no parameter "${name}".${suggest(name, names)}`,
      closestPaths(name, names),
    );
  }

  #findModule(name: string): Module | undefined {
    if (name === '') return this;
    let m: Module | undefined = this;
    for (const part of name.split('.')) {
      m = m.#children.get(part);
      if (!m) return undefined;
    }
    return m;
  }

  /** The module at a dotted path (`''` is this module). */
  getModule<M extends Module = Module>(name: string): M {
    const m = this.#findModule(name);
    if (m) return m as M;
    const names = this.namedModules()
      .map(([n]) => n)
      .filter(Boolean);
    throw new NotFoundError(
      `no module "${name}".${suggest(name, names)}`,
      closestPaths(name, names),
    );
  }

  /** Whether a module exists at the dotted path. */
  hasModule(name: string): boolean {
    return this.#findModule(name) !== undefined;
  }

  /**
   * Puts `module` where the module `name` was (LoRA wraps `Linear`s this way)
   * and returns the one it replaced, which is not disposed: a wrapper usually
   * keeps it.
   */
  replaceModule<M extends Module = Module>(name: string, module: Module): M {
    const dot = name.lastIndexOf('.');
    const parent = this.getModule(dot < 0 ? '' : name.slice(0, dot));
    const local = name.slice(dot + 1);
    const old = parent.#children.get(local);
    if (!old) {
      const names = this.namedModules()
        .map(([n]) => n)
        .filter(Boolean);
      throw new NotFoundError(
        `no module "${name}" to replace.${suggest(name, names)}`,
        closestPaths(name, names),
      );
    }
    if (!(module instanceof Module)) {
      throw new ValidationError(`replacement for "${name}" is not a Module`);
    }
    parent.#children.set(local, module);
    // A parent that keeps a typed reference to the child (this.query) follows the swap.
    parent.onChildReplaced(local, module, old);
    return old as M;
  }

  /**
   * Called after `replaceModule` swapped a direct child, so subclasses that
   * hold typed fields for their children can update them. The default
   * updates any own field that pointed at the old child.
   */
  protected onChildReplaced(_name: string, replacement: Module, old: Module): void {
    const self = this as unknown as Record<string, unknown>;
    for (const key of Object.keys(self)) {
      if (self[key] === old) self[key] = replacement;
    }
  }

  // ---------------------------------------------------------------- training state

  /** Sets training mode on this module and every descendant (dropout on). */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Inference mode: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /**
   * Stops gradients for the parameters selected by `patterns` (all when
   * omitted); returns how many it selected.
   */
  freeze(patterns?: NamePattern | readonly NamePattern[]): number {
    return this.#setTrainable(false, patterns);
  }

  /** Undoes `freeze` for the parameters selected by `patterns` (all when omitted). */
  unfreeze(patterns?: NamePattern | readonly NamePattern[]): number {
    return this.#setTrainable(true, patterns);
  }

  #setTrainable(trainable: boolean, patterns?: NamePattern | readonly NamePattern[]): number {
    const list = patterns === undefined ? undefined : asPatternList(patterns);
    let n = 0;
    const tied = this.tiedParameters();
    for (const [name, p] of this.namedParameters()) {
      const aliases = Object.keys(tied).filter((k) => tied[k] === name);
      if (list && !matchesAny(name, list) && !aliases.some((a) => matchesAny(a, list))) continue;
      p.trainable = trainable;
      n++;
    }
    if (list && n === 0) {
      const names = this.namedParameters().map(([k]) => k);
      throw new NotFoundError(
        `no parameter matches ${list.map(String).join(', ')}.` +
          ` Parameter names look like "${names[0] ?? '(none)'}"`,
        names.slice(0, 5),
      );
    }
    return n;
  }

  /** Number of scalar weights (each tied variable counted once). */
  parameterCount(options: { trainableOnly?: boolean } = {}): number {
    return this.parameters(options).reduce((s, p) => s + p.size, 0);
  }

  /** Number of scalar weights an optimizer would update. */
  trainableParameterCount(): number {
    return this.parameterCount({ trainableOnly: true });
  }

  // ---------------------------------------------------------------- state dict

  /**
   * The parameters by dotted name (the variables themselves, not copies;
   * tied aliases omitted, as Hugging Face saves them).
   */
  stateDict(): Record<string, Parameter> {
    return Object.fromEntries(this.namedParameters());
  }

  /**
   * Assigns values by dotted name. Values may be tensors or raw
   * `StoredTensor`s; float data of another dtype is cast. Validates every
   * key first, so a failed load changes nothing. A tied alias
   * (`lm_head.weight`) is accepted in place of its canonical name.
   */
  loadStateDict(dict: Record<string, StateValue>, options: LoadStateDictOptions = {}): LoadReport {
    const strict = options.strict ?? true;
    const params = new Map(this.namedParameters());
    const tied = this.tiedParameters();
    const assignments: [string, Parameter, StateValue][] = [];
    const provided = new Set<string>();
    const unexpected: string[] = [];
    for (const [key, value] of Object.entries(dict)) {
      const canonical = params.has(key) ? key : tied[key];
      const p = canonical === undefined ? undefined : params.get(canonical);
      if (!p || canonical === undefined) {
        unexpected.push(key);
        continue;
      }
      // The canonical key wins over an alias holding the same variable.
      if (provided.has(canonical) && canonical !== key) continue;
      const shape = [...value.shape];
      if (shape.length !== p.shape.length || shape.some((d, i) => d !== p.shape[i])) {
        throw new ShapeError(`expected shape [${p.shape.join(', ')}], got [${shape.join(', ')}]`, {
          where: `state dict key "${key}"`,
        });
      }
      if (value.dtype !== 'float32' && value.dtype !== 'int32') {
        throw new ValidationError(`unsupported dtype ${value.dtype}; expected float32`, [], {
          where: `state dict key "${key}"`,
        });
      }
      const i = assignments.findIndex(([c]) => c === canonical);
      if (i >= 0) assignments.splice(i, 1);
      provided.add(canonical);
      assignments.push([canonical, p, value]);
    }
    const missing = [...params.keys()].filter((k) => !provided.has(k));
    if (strict && (missing.length > 0 || unexpected.length > 0)) {
      const known = [...params.keys()];
      const issues = [
        ...missing.map((k) => ({ path: k, message: 'missing from the state dict' })),
        ...unexpected.map((k) => ({
          path: k,
          message: `unexpected key (no such parameter).${suggest(k, known)}`,
        })),
      ];
      const parts: string[] = [];
      if (missing.length) parts.push(`missing keys: ${preview(missing)}`);
      if (unexpected.length) {
        parts.push(`unexpected keys: ${preview(unexpected)}.${suggest(unexpected[0], known)}`);
      }
      throw new ValidationError(
        `state dict does not match ${this.constructor.name}: ${parts.join('; ')}`,
        issues,
      );
    }
    for (const [, p, value] of assignments) {
      // Assigning a variable to itself would free its data first.
      if (value === p) continue;
      tf.tidy(() => {
        const t =
          value instanceof tf.Tensor
            ? value
            : tf.tensor(
                value.data as Float32Array,
                value.shape,
                value.dtype === 'int32' ? 'int32' : 'float32',
              );
        p.assign(t.dtype === 'float32' ? t : tf.cast(t, 'float32'));
      });
    }
    return { missing, unexpected };
  }

  // ---------------------------------------------------------------- hooks

  /**
   * Calls `hook(module, args, output)` after every `forward` of this module;
   * returns a function that removes it. Costs nothing while no hook is set:
   * the wrapper is installed by the first hook and removed with the last.
   */
  registerForwardHook(hook: ForwardHook): () => void {
    const self = this as unknown as { forward?: (...args: unknown[]) => unknown };
    if (typeof self.forward !== 'function') {
      throw new ValidationError(`${this.constructor.name} has no forward() to hook`);
    }
    this.#hooks.push(hook);
    if (this.#hooks.length === 1) {
      const original = self.forward;
      this.#unhooked = Object.hasOwn(this, 'forward') ? original : undefined;
      self.forward = (...args: unknown[]) => {
        const out = original.apply(this, args);
        for (const h of [...this.#hooks]) h(this, args, out);
        return out;
      };
    }
    return () => {
      const i = this.#hooks.indexOf(hook);
      if (i < 0) return;
      this.#hooks.splice(i, 1);
      if (this.#hooks.length === 0) {
        if (this.#unhooked === undefined) delete self.forward;
        else self.forward = this.#unhooked as (...args: unknown[]) => unknown;
      }
    };
  }

  // ---------------------------------------------------------------- lifetime

  /** Disposes every parameter and buffer in the tree. */
  dispose(): void {
    for (const [, m] of this.namedModules()) {
      for (const p of m.#params.values()) if (!p.isDisposed) p.dispose();
      for (const b of m.#buffers.values()) if (!b.isDisposed) b.dispose();
    }
  }

  /** A one-line-per-module outline with parameter shapes, like printing a torch model. */
  describe(): string {
    const lines: string[] = [];
    for (const [name, m] of this.namedModules()) {
      const depth = name ? name.split('.').length : 0;
      const own = [...m.#params.entries()]
        .map(([k, p]) => `${k}[${p.shape.join(',')}]${p.trainable ? '' : ' frozen'}`)
        .join(' ');
      lines.push(
        `${'  '.repeat(depth)}${name || '(root)'}: ${m.constructor.name}${own ? ` ${own}` : ''}`,
      );
    }
    return lines.join('\n');
  }
}

/**
 * Close dotted paths, preferring ones as deep as `name` (a typo in one
 * segment), so `encoder.layers.0` suggests `encoder.layer.0`, not `encoder`.
 */
export function closestPaths(name: string, candidates: readonly string[]): string[] {
  const depth = name.split('.').length;
  const same = candidates.filter((c) => c.split('.').length === depth);
  const close = closestNames(name, same);
  return close.length > 0 ? close : closestNames(name, candidates);
}

function suggest(name: string, candidates: readonly string[]): string {
  const close = closestPaths(name, candidates);
  return close.length > 0 ? ` Did you mean ${close.map((c) => `"${c}"`).join(' or ')}?` : '';
}

function checkLocalName(name: string, owner: Module): void {
  if (!name || name.includes('.')) {
    throw new ValidationError(
      `${owner.constructor.name}: a child or parameter name is one non-empty segment without dots, got ${JSON.stringify(name)}`,
    );
  }
}

function preview(keys: string[], max = 8): string {
  const head = keys
    .slice(0, max)
    .map((k) => `"${k}"`)
    .join(', ');
  return keys.length > max ? `${head} and ${keys.length - max} more` : head;
}
