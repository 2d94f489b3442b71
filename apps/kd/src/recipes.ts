import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRecipeText } from '@kd/core';

/** Bundled recipes live in apps/kd/recipes (shipped beside dist/). */
export const RECIPES_DIR = fileURLToPath(new URL('../recipes/', import.meta.url));

export interface RecipeSummary {
  name: string;
  task: string;
  description?: string;
  path: string;
}

export async function bundledRecipes(): Promise<RecipeSummary[]> {
  if (!existsSync(RECIPES_DIR)) return [];
  const files = (await readdir(RECIPES_DIR)).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
  const out: RecipeSummary[] = [];
  for (const f of files) {
    const path = join(RECIPES_DIR, f);
    const data = parseRecipeText(await readFile(path, 'utf8'), path);
    out.push({
      name: basename(f, extname(f)),
      task: String(data.task),
      description: typeof data.description === 'string' ? data.description : undefined,
      path,
    });
  }
  return out;
}

/** A recipe argument is a file path, or the name of a bundled recipe. */
export async function resolveRecipe(arg: string): Promise<string> {
  const asPath = resolve(arg);
  if (existsSync(asPath)) return asPath;
  const bundled = (await bundledRecipes()).find((r) => r.name === arg);
  return bundled ? bundled.path : asPath;
}
