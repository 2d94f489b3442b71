import type { Plugin, Registry } from '@kd/core';

export const KIND_INTROS: Record<string, string>;
export function cliRegistry(): Promise<{
  registry: Registry;
  recipes: { name: string; task: string; description?: string; path: string }[];
  builtinPlugins: readonly Plugin[];
  /** Bundled recipes whose task the kd command does not register. */
  unreachable: { name: string; task: string }[];
}>;
export function importPlugin(spec: string, recipePath: string): Promise<Plugin>;
export function generateRecipesReference(options?: {
  out?: string;
}): Promise<{ kinds: number; entries: number; recipes: number }>;
