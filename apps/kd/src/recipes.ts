import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { parseRecipeText } from '@kd/core';

/**
 * Bundled recipes ship in each feature package's `recipes/` folder; they are
 * named `<package>/<file>` (e.g. `graph/cora-gcn`).
 */
const RECIPE_PACKAGES = ['losses', 'lora', 'optim', 'graph'] as const;

const require = createRequire(import.meta.url);

export interface RecipeSummary {
  name: string;
  task: string;
  description?: string;
  path: string;
}

function recipeDir(pkg: string): string | undefined {
  try {
    const dir = join(dirname(require.resolve(`@kd/${pkg}/package.json`)), 'recipes');
    return existsSync(dir) ? dir : undefined;
  } catch {
    return undefined;
  }
}

export async function bundledRecipes(): Promise<RecipeSummary[]> {
  const out: RecipeSummary[] = [];
  for (const pkg of RECIPE_PACKAGES) {
    const dir = recipeDir(pkg);
    if (!dir) continue;
    const files = (await readdir(dir)).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
    for (const f of files) {
      const path = join(dir, f);
      const data = parseRecipeText(await readFile(path, 'utf8'), path);
      out.push({
        name: `${pkg}/${basename(f, extname(f))}`,
        task: String(data.task),
        description: typeof data.description === 'string' ? data.description : undefined,
        path,
      });
    }
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
