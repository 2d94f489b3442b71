import { readdirSync, readFileSync } from 'node:fs';
import { parseRecipeText, validateRecipe } from '@kd/core';
import { describe, expect, it } from 'vitest';
import { cliRegistry, importPlugin } from '../scripts/recipes-reference.mjs';

/**
 * The recipes the guides show are files, validated here exactly as
 * `kd run --validate-only` validates them: against the registry of the kd
 * command plus the plugins each recipe names, in both profiles.
 */
const dir = new URL('../examples/recipes/', import.meta.url);
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));

describe('example recipes', async () => {
  const { registry, recipes, unreachable } = await cliRegistry();

  it.each(files)('%s validates in the quick and full profiles', async (file) => {
    const path = new URL(file, dir).pathname;
    const data = parseRecipeText(readFileSync(path, 'utf8'), file);
    for (const spec of (data.plugins as string[] | undefined) ?? []) {
      registry.register(await importPlugin(spec, path));
    }
    for (const profile of ['quick', 'full'] as const) {
      const recipe = validateRecipe(data, { registry, profile, where: file });
      expect(recipe.task).toBe(data.task);
    }
  });

  it('the kd command registers the task of every bundled recipe (kd run and kd demo can run them)', () => {
    expect(unreachable.map((r) => `${r.name} (task ${r.task})`)).toEqual([]);
  });

  it('the reference documents the task of every bundled recipe', () => {
    const missing = recipes.filter((r) => !registry.has('task', r.task)).map((r) => r.name);
    expect(missing).toEqual([]);
  });
});
