import { readFile } from 'node:fs/promises';
import { arch, cpus, platform } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  type BackendName,
  type CheckpointStore,
  VERSION as CORE_VERSION,
  initBackend,
  type Profile,
  type Progress,
  type Provenance,
  parseRecipeText,
  type Recipe,
  registry,
  type Task,
  type TaskResult,
  ValidationError,
  validateRecipe,
} from '@kd/core';
import { DirectoryArtifactSink, DirectoryCheckpointStore, writeFileAtomic } from '@kd/core/node';
import { loadPlugins } from './plugins.js';

export interface RunOptions {
  profile?: Profile;
  seed?: number;
  /** Output directory: results.json and checkpoints/ (resume reads it). */
  out: string;
  backend?: BackendName;
  threads?: number;
  progress: Progress;
  signal: AbortSignal;
  /** Extra plugin modules to load before validating. */
  plugins?: string[];
}

/** Parses, loads the recipe's plugins, validates: everything that can fail before work starts. */
export async function prepareRecipe(
  recipePath: string,
  options: Pick<RunOptions, 'profile' | 'seed' | 'plugins'>,
): Promise<Recipe> {
  const path = resolve(recipePath);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new ValidationError(
      'no such recipe file (and no bundled recipe of that name; see `kd recipes`)',
      [],
      {
        where: recipePath,
      },
    );
  }
  const data = parseRecipeText(text, path);
  await loadPlugins(options.plugins ?? []);
  if (Array.isArray(data.plugins)) await loadPlugins(data.plugins.map(String), dirname(path));
  return validateRecipe(data, { profile: options.profile, seed: options.seed, where: path });
}

function pluginVersions(): Record<string, string> {
  return {
    '@kd/core': CORE_VERSION,
    ...Object.fromEntries(registry.plugins().map((p) => [p.name, p.version])),
  };
}

/** Checkpoints under `<out>/checkpoints/step-<n>/` (atomic, resumable; see DirectoryCheckpointStore). */
function checkpointStore(dir: string): CheckpointStore {
  return new DirectoryCheckpointStore(dir);
}

/** Runs a validated recipe and writes `<out>/results.json` with provenance. */
export async function runRecipe(
  recipePath: string,
  recipe: Recipe,
  options: RunOptions,
): Promise<TaskResult> {
  const started = new Date();
  const t0 = performance.now();
  const info = await initBackend({ backend: options.backend ?? 'wasm', threads: options.threads });
  const task = registry.create<Task>('task', recipe.task, recipe.options);
  const out = resolve(options.out);
  const recipeDir = dirname(resolve(recipePath));
  const result = await task.run({
    seed: recipe.seed,
    profile: recipe.profile,
    registry,
    progress: options.progress,
    signal: options.signal,
    checkpoints: checkpointStore(join(out, 'checkpoints')),
    resolvePath: (p) => resolve(recipeDir, p),
    outDir: out,
    artifacts: new DirectoryArtifactSink(out),
  });
  const cpuList = cpus();
  const provenance: Provenance = {
    recipe: recipe.source,
    recipePath: resolve(recipePath),
    seed: recipe.seed,
    profile: recipe.profile,
    backend: info.backend,
    simd: info.simd,
    threads: info.threads,
    versions: {
      ...pluginVersions(),
      '@tensorflow/tfjs-core': info.tfjsVersion,
      node: process.versions.node,
    },
    machine: {
      platform: platform(),
      arch: arch(),
      cpus: cpuList.length,
      cpuModel: cpuList[0]?.model,
      node: process.versions.node,
    },
    startedAt: started.toISOString(),
    wallSeconds: (performance.now() - t0) / 1000,
  };
  const withProvenance = { ...result, provenance };
  await writeFileAtomic(join(out, 'results.json'), `${JSON.stringify(withProvenance, null, 2)}\n`);
  return withProvenance;
}
