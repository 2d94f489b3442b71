import type { Rng } from '@kd/core';
import { Linear, Module, normal, zeros } from '@kd/nn';

/** A module whose children are added by name at run time. */
class Container extends Module {
  add<M extends Module>(name: string, m: M): M {
    return this.addModule(name, m);
  }
}

/**
 * The distiller's learned projections: one `Linear(d_s → d_t)` per
 * (term, student layer) — or one per term when shared, as TinyBERT's
 * `fit_dense` — named `<term>.<layer>` or `<term>.shared`
 * (`hidden_mse.2.weight`, `[d_t, d_s]`, torch layout). They train with the
 * student; the distiller prefixes their names with `distill.`.
 * Initialised N(0, 0.02) with zero bias, as TextBrewer's `proj`.
 */
export class Projections extends Container {
  readonly #terms = new Map<string, Container>();

  get(term: string, key: string): Linear | undefined {
    return this.#terms.get(term)?.hasModule(key)
      ? this.#terms.get(term)?.getModule<Linear>(key)
      : undefined;
  }

  create(term: string, key: string, inFeatures: number, outFeatures: number, rng: Rng): Linear {
    let c = this.#terms.get(term);
    if (!c) {
      c = this.add(term, new Container());
      this.#terms.set(term, c);
    }
    const existing = this.get(term, key);
    if (existing) return existing;
    return c.add(
      key,
      new Linear(inFeatures, outFeatures, { rng, weightInit: normal(0.02), biasInit: zeros }),
    );
  }
}
