// The registry the playground runs recipes with: every kd package's plugin,
// the tasks of @kd/lora and @kd/losses, and a hook that keeps the LoRA adapters
// a task creates so the page can offer them as PEFT files.
import { plugin as backendWasm } from '@kd/backend-wasm';
import { plugin as backendWebgpu } from '@kd/backend-webgpu';
import { type Kind, Registry } from '@kd/core';
import { plugin as data } from '@kd/data';
import { plugin as evalPlugin } from '@kd/eval';
import { plugin as graph } from '@kd/graph';
import { type AdapterFactory, type LoraModel, plugin as lora } from '@kd/lora';
import { tasksPlugin as loraTasks } from '@kd/lora/tasks';
import { plugin as losses } from '@kd/losses';
import { tasksPlugin as lossesTasks } from '@kd/losses/tasks';
import { plugin as nn } from '@kd/nn';
import { plugin as optim } from '@kd/optim';

export const PLUGINS = [
  backendWasm,
  backendWebgpu,
  data,
  evalPlugin,
  graph,
  lora,
  loraTasks,
  losses,
  lossesTasks,
  nn,
  optim,
] as const;

/**
 * The global registry's entries, with `adapter` products whose `apply` reports
 * each `LoraModel` it makes to `onAdapter` (tasks create adapters through
 * `ctx.registry`, so this sees every adapter a task trains).
 */
export class PlaygroundRegistry extends Registry {
  onAdapter: ((lora: LoraModel, entryId: string) => void) | undefined;

  override create<T = unknown>(kind: Kind, id: string, options?: unknown): T {
    const product = super.create<T>(kind, id, options);
    if (kind !== 'adapter' || typeof (product as AdapterFactory)?.apply !== 'function') {
      return product;
    }
    const factory = product as AdapterFactory;
    const apply = factory.apply;
    return {
      ...factory,
      apply: (model, applyOptions) => {
        const made = apply(model, applyOptions);
        this.onAdapter?.(made, id);
        return made;
      },
    } satisfies AdapterFactory as T;
  }
}

/** Registers every plugin into the global registry (idempotent) and returns a view of it. */
export function createRegistry(): PlaygroundRegistry {
  const registry = new PlaygroundRegistry();
  for (const p of PLUGINS) registry.register(p);
  return registry;
}
