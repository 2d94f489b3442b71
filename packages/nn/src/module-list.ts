import { Module } from './module.js';

/** Children named `0`, `1`, … like `torch.nn.ModuleList` (`encoder.layer.3`). */
export class ModuleList<M extends Module = Module> extends Module {
  readonly #items: M[] = [];

  constructor(items: Iterable<M> = []) {
    super();
    for (const m of items) this.push(m);
  }

  push(module: M): M {
    this.addModule(String(this.#items.length), module);
    this.#items.push(module);
    return module;
  }

  get length(): number {
    return this.#items.length;
  }

  at(i: number): M {
    return this.#items[i];
  }

  [Symbol.iterator](): Iterator<M> {
    return this.#items[Symbol.iterator]();
  }

  protected override onChildReplaced(name: string, replacement: Module): void {
    this.#items[Number(name)] = replacement as M;
  }
}
