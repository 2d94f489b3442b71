import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * Inside the monorepo, `@kd/<pkg>` and `@kd/<pkg>/<sub>` resolve to the sources
 * so a test sees a change in a dependency without rebuilding it. Published
 * consumers get dist/ through each package's `exports` (tested by the
 * pack-and-install tests).
 */
export const kdSourceAliases = [
  {
    find: /^@kd\/([a-z0-9-]+)\/([a-z0-9-]+)$/,
    replacement: `${root}packages/$1/src/$2/index.ts`,
  },
  { find: /^@kd\/([a-z0-9-]+)$/, replacement: `${root}packages/$1/src/index.ts` },
];
