import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, 'package.json'));

/**
 * Served cross-origin isolated in dev, in preview and (tests/browser's static
 * server) in the tests: SharedArrayBuffer exists only then, and with it
 * tfjs-wasm's threaded binary and @kd/backend-wasm's worker pool.
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
} as const;

/** Where a feature package keeps its bundled recipes (they are not in its `exports`). */
export function recipesDir(pkg: 'graph' | 'lora' | 'losses'): string {
  return join(dirname(require.resolve(`@kd/${pkg}/package.json`)), 'recipes');
}

/**
 * Whitespace only: tfjs-wasm starts its pthread workers from the source text of
 * its own factory function (`factory.toString()`), which must stay exactly as
 * emscripten wrote it. Renaming breaks it ("e is not defined"), and so does
 * compression ("_scriptDir is not defined"): threaded tfjs-wasm fails to start.
 */
const MINIFY = { mangle: false, compress: false, codegen: { removeWhitespace: true } } as const;

export default defineConfig({
  // Relative asset URLs: the built page works from any folder of any static host.
  base: './',
  resolve: {
    // One copy of each, resolved from here: @kd/core imports the WebGPU backend
    // without depending on it (it is this app's dependency).
    dedupe: [
      '@tensorflow/tfjs-core',
      '@tensorflow/tfjs-backend-cpu',
      '@tensorflow/tfjs-backend-wasm',
      '@tensorflow/tfjs-backend-webgpu',
    ],
    alias: {
      // `import text from '@kd-recipes/graph/planetoid.yaml?raw'`
      ...Object.fromEntries(
        (['graph', 'lora', 'losses'] as const).map((pkg) => [
          `@kd-recipes/${pkg}`,
          recipesDir(pkg),
        ]),
      ),
      '@tensorflow/tfjs-backend-webgl': join(here, 'src/stubs/tfjs-backend-webgl.ts'),
    },
  },
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  worker: {
    format: 'es',
    rolldownOptions: { output: { minify: MINIFY } },
  },
  build: {
    target: 'es2022',
    // tfjs and the kd packages are one large chunk by design (loaded by the worker).
    chunkSizeWarningLimit: 4096,
    rolldownOptions: {
      output: { minify: MINIFY },
      input: {
        index: join(here, 'index.html'),
        bench: join(here, 'bench.html'),
      },
    },
  },
});
