import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { plugin as backendWasm } from '@kd/backend-wasm';
import { plugin as backendWebgpu } from '@kd/backend-webgpu';
import { type Plugin, type Registry, registry, ValidationError } from '@kd/core';
import { plugin as data } from '@kd/data';
import { plugin as datasetsNc } from '@kd/datasets-nc';
import { plugin as evalPlugin } from '@kd/eval';
import { plugin as graph } from '@kd/graph';
import { plugin as lora } from '@kd/lora';
import { tasksPlugin as loraTasks } from '@kd/lora/tasks';
import { plugin as losses } from '@kd/losses';
import { tasksPlugin as lossesTasks } from '@kd/losses/tasks';
import { plugin as nn } from '@kd/nn';
import { plugin as optim } from '@kd/optim';
import { tasksPlugin as optimTasks } from '@kd/optim/tasks';

/**
 * The packages the reference app composes, with their experiment tasks and
 * the private non-commercial datasets (QQP, MRPC) the repository ships.
 */
export const builtinPlugins: readonly Plugin[] = [
  backendWasm,
  backendWebgpu,
  data,
  datasetsNc,
  evalPlugin,
  graph,
  lora,
  loraTasks,
  losses,
  lossesTasks,
  nn,
  optim,
  optimTasks,
];

export function registerBuiltins(reg: Registry = registry): void {
  for (const p of builtinPlugins) reg.register(p);
}

function isPlugin(v: unknown): v is Plugin {
  return (
    typeof v === 'object' &&
    v !== null &&
    'meta' in v &&
    'provides' in v &&
    Array.isArray((v as Plugin).provides)
  );
}

/**
 * Imports third-party plugin modules (`--plugin kd-plugin-example`, a
 * recipe's `plugins:`) and registers what they export: `default` or
 * `plugin`. Relative paths resolve against `baseDir`.
 */
export async function loadPlugins(
  specifiers: readonly string[],
  baseDir = process.cwd(),
  reg: Registry = registry,
): Promise<void> {
  for (const spec of specifiers) {
    const target =
      spec.startsWith('.') || spec.startsWith('/')
        ? pathToFileURL(resolve(baseDir, spec)).href
        : spec;
    let mod: Record<string, unknown>;
    try {
      mod = (await import(target)) as Record<string, unknown>;
    } catch (error) {
      throw new ValidationError(`cannot import plugin "${spec}": ${(error as Error).message}`, [
        { path: 'plugins', message: `cannot import "${spec}"` },
      ]);
    }
    const candidate = isPlugin(mod.default) ? mod.default : mod.plugin;
    if (!isPlugin(candidate)) {
      throw new ValidationError(
        `plugin module "${spec}" exports no plugin (expected a default or "plugin" export of { meta, provides })`,
      );
    }
    reg.register(candidate);
  }
}
