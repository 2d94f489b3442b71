// Runs one recipe: validate, create the task, run it with a progress sink, and
// keep the trained LoRA adapters as PEFT files. DOM-free, so the Web Worker and
// the Node side of the tests run exactly this code.
import {
  backendInfo,
  type CheckpointStore,
  VERSION as CORE_VERSION,
  MemoryCheckpointStore,
  type Progress,
  type Provenance,
  type Recipe,
  type Task,
  type TaskResult,
} from '@kd/core';
import { type AdapterFiles, type LoraModel, saveAdapter } from '@kd/lora';
import * as tf from '@tensorflow/tfjs-core';
import { prepareRecipe, type RecipeSpec } from './recipes/prepare.js';
import type { PlaygroundRegistry } from './registry.js';

/** A LoRA adapter a task trained, as the two files of a PEFT adapter folder. */
export interface TrainedAdapter {
  /** The progress stage that trained it, e.g. `LoRA r=2, seed 0`. */
  label: string;
  /** The `adapter:<id>` entry that made it. */
  entry: string;
  files: AdapterFiles;
}

export interface RunContext {
  progress: Progress;
  signal: AbortSignal;
  checkpoints?: CheckpointStore;
}

export interface RunOutput {
  recipe: Recipe;
  result: TaskResult;
  adapters: TrainedAdapter[];
}

/**
 * Snapshots adapters when the stage that trained them finishes: tasks report
 * `stage.done()` right after their last step and before they evaluate and
 * dispose the model, so the weights saved are the trained ones.
 */
function captureAdapters(registry: PlaygroundRegistry, progress: Progress) {
  const pending: { lora: LoraModel; entry: string }[] = [];
  const saved: TrainedAdapter[] = [];
  registry.onAdapter = (lora, entry) => pending.push({ lora, entry });
  const wrapped: Progress = {
    log: (message) => progress.log(message),
    stage(name, total, unit) {
      const inner = progress.stage(name, total, unit);
      let finished = false;
      return {
        tick: (n, info) => inner.tick(n, info),
        done(info) {
          if (!finished) {
            finished = true;
            for (const p of pending.splice(0)) {
              try {
                saved.push({ label: name, entry: p.entry, files: saveAdapter(p.lora) });
              } catch (error) {
                progress.log(`could not save the adapter of "${name}": ${String(error)}`);
              }
            }
          }
          inner.done(info);
        },
      };
    },
  };
  return { progress: wrapped, saved, stop: () => (registry.onAdapter = undefined) };
}

function provenance(recipe: Recipe, started: Date, wallSeconds: number): Provenance {
  const info = backendInfo();
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number; userAgent?: string } })
    .navigator;
  const node = (globalThis as { process?: { versions?: { node?: string }; arch?: string } })
    .process;
  return {
    recipe: recipe.source,
    seed: recipe.seed,
    profile: recipe.profile,
    backend: info?.backend ?? tf.getBackend(),
    simd: info?.simd ?? false,
    threads: info?.threads ?? 1,
    versions: { '@kd/core': CORE_VERSION, '@tensorflow/tfjs-core': tf.version_core },
    machine: {
      platform: info?.platform ?? 'other',
      arch: node?.arch ?? 'wasm32',
      cpus: nav?.hardwareConcurrency ?? 1,
      cpuModel: nav?.userAgent,
      node: node?.versions?.node,
    },
    startedAt: started.toISOString(),
    wallSeconds,
  };
}

/** Validates and runs `spec` on the current backend (call `initBackend` first). */
export async function runRecipe(
  spec: RecipeSpec,
  registry: PlaygroundRegistry,
  ctx: RunContext,
): Promise<RunOutput> {
  const recipe = prepareRecipe(spec, registry);
  const task = registry.create<Task>('task', recipe.task, recipe.options);
  const capture = captureAdapters(registry, ctx.progress);
  const started = new Date();
  const t0 = performance.now();
  try {
    const result = await task.run({
      seed: recipe.seed,
      profile: recipe.profile,
      registry,
      progress: capture.progress,
      signal: ctx.signal,
      checkpoints: ctx.checkpoints ?? new MemoryCheckpointStore(),
    });
    const wall = (performance.now() - t0) / 1000;
    return {
      recipe,
      result: { ...result, provenance: provenance(recipe, started, wall) },
      adapters: capture.saved,
    };
  } finally {
    capture.stop();
  }
}
