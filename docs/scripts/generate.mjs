// Generates the pages that are not committed: the recipes reference (from
// the registry's schemas), the kd command reference (from the program) and
// the API reference (TypeDoc over the sources). `pnpm build` runs it first.
import { pathToFileURL } from 'node:url';
import { generateApiReference } from './api-reference.mjs';
import { generateCliReference } from './cli-reference.mjs';
import { generateRecipesReference } from './recipes-reference.mjs';

export async function generate({ api = true } = {}) {
  const timed = async (label, fn) => {
    const t0 = performance.now();
    const result = await fn();
    console.log(
      `${label}: ${JSON.stringify(result)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  };
  await timed('recipes reference', () => generateRecipesReference());
  await timed('cli reference', () => generateCliReference());
  if (api) await timed('api reference', () => generateApiReference());
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await generate({ api: !process.argv.includes('--no-api') });
}
