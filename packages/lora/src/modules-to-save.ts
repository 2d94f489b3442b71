import { ValidationError } from '@kd/core';
import type { Module, Parameter } from '@kd/nn';
import * as tf from '@tensorflow/tfjs-core';

/** The owner name of a module's original (pre-adapter) values. */
export const ORIGINAL = '__original__';

/**
 * PEFT's `ModulesToSaveWrapper` without a second module: the module stays
 * where it is (so its parameters keep their names and the model code that
 * calls it is untouched) and holds the values of one owner at a time — an
 * adapter's trained copy, or the original. The other owners' values wait in
 * a side store; switching adapters swaps them in. So `disable`, `unload`
 * and several adapters each with its own classifier head behave as in PEFT.
 */
export class SavedModule {
  /** Parameters by name relative to the module (`weight`, `dense.bias`). */
  readonly params: [string, Parameter][];
  #live = ORIGINAL;
  readonly #stored = new Map<string, Map<string, tf.Tensor>>();
  readonly #owners = new Set<string>();

  constructor(
    readonly path: string,
    readonly module: Module,
    root: Module,
  ) {
    this.params = module.namedParameters();
    // A module sharing a weight with the rest of the model (a tied lm_head)
    // cannot be trained as a separate copy without changing the other user.
    const own = new Set(this.params.map(([, p]) => p));
    const outside = root
      .namedParameters()
      .filter(([n, p]) => own.has(p) && !(n === path || n.startsWith(`${path}.`)));
    const tiedElsewhere = Object.entries(root.tiedParameters()).filter(
      ([alias, canonical]) =>
        (alias.startsWith(`${path}.`) && !canonical.startsWith(`${path}.`)) ||
        (canonical.startsWith(`${path}.`) && !alias.startsWith(`${path}.`)),
    );
    if (outside.length > 0 || tiedElsewhere.length > 0) {
      const [a, b] = tiedElsewhere[0] ?? [outside[0][0], path];
      throw new ValidationError(
        `modules_to_save "${path}" shares a weight with another module ("${a}" ↔ "${b}"); training a copy of it would change both`,
        [{ path: 'modulesToSave', message: `"${path}" has tied weights` }],
      );
    }
  }

  get live(): string {
    return this.#live;
  }
  owners(): string[] {
    return [...this.#owners];
  }
  has(adapter: string): boolean {
    return this.#owners.has(adapter);
  }

  /** Gives `adapter` its own copy, starting from the original values (PEFT deep-copies the original). */
  addAdapter(adapter: string): void {
    if (this.#owners.has(adapter)) return;
    this.#stored.set(adapter, this.#snapshot(ORIGINAL));
    this.#owners.add(adapter);
  }

  /** Puts `owner`'s values (an adapter with a copy, or {@link ORIGINAL}) into the parameters. */
  activate(owner: string): void {
    const target = owner === ORIGINAL || this.#owners.has(owner) ? owner : ORIGINAL;
    if (target === this.#live) return;
    const incoming = this.#stored.get(target) as Map<string, tf.Tensor>;
    this.#stored.set(this.#live, this.#snapshot(this.#live));
    for (const [name, p] of this.params) {
      const v = incoming.get(name) as tf.Tensor;
      p.assign(v);
      v.dispose();
    }
    this.#stored.delete(target);
    this.#live = target;
  }

  /** `owner`'s values (copies), whether live or stored. */
  values(owner: string): Map<string, tf.Tensor> {
    return this.#snapshot(owner);
  }

  /** Replaces `owner`'s values (loading an adapter file); shapes were checked by the caller. */
  setValues(owner: string, values: Map<string, tf.Tensor>): void {
    if (owner === this.#live) {
      for (const [name, p] of this.params) {
        const v = values.get(name);
        if (v) p.assign(v);
      }
      return;
    }
    const stored = this.#stored.get(owner) as Map<string, tf.Tensor>;
    for (const [name, v] of values) {
      stored.get(name)?.dispose();
      stored.set(name, tf.keep(tf.clone(v)));
    }
  }

  deleteAdapter(adapter: string): void {
    if (!this.#owners.has(adapter)) return;
    if (this.#live === adapter) this.activate(ORIGINAL);
    for (const t of this.#stored.get(adapter)?.values() ?? []) t.dispose();
    this.#stored.delete(adapter);
    this.#owners.delete(adapter);
  }

  /** Forgets every stored copy; the live values stay (unload keeps the active adapter's copy, as PEFT). */
  release(): void {
    for (const m of this.#stored.values()) for (const t of m.values()) t.dispose();
    this.#stored.clear();
    this.#owners.clear();
  }

  #snapshot(owner: string): Map<string, tf.Tensor> {
    if (owner === this.#live) {
      return new Map(this.params.map(([n, p]) => [n, tf.keep(tf.clone(p))]));
    }
    const stored = this.#stored.get(owner);
    if (!stored)
      throw new ValidationError(`no values for "${owner}" in modules_to_save "${this.path}"`);
    return new Map([...stored].map(([n, t]) => [n, tf.keep(tf.clone(t))]));
  }
}
