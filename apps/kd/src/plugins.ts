import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { plugin as backendWasm } from '@kd/backend-wasm';
import { type Plugin, type Registry, registry, ValidationError } from '@kd/core';
import { plugin as data } from '@kd/data';
import { plugin as evalPlugin } from '@kd/eval';
import { plugin as graph } from '@kd/graph';
import { plugin as lora } from '@kd/lora';
import { plugin as losses } from '@kd/losses';
import { plugin as nn } from '@kd/nn';
import { plugin as optim } from '@kd/optim';

/** The packages the reference app composes. */
export const builtinPlugins: readonly Plugin[] = [
  backendWasm,
  data,
  evalPlugin,
  graph,
  lora,
  losses,
  nn,
  optim,
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
