import type { CheckpointStore } from './checkpoint-store.js';
import type { Progress } from './progress.js';
import type { Registry } from './registry.js';
import type { TaskResult } from './results.js';

export type Profile = 'quick' | 'full';

/** What a running task gets from whoever runs it (the CLI, the playground, a test). */
export interface TaskContext {
  seed: number;
  profile: Profile;
  registry: Registry;
  progress: Progress;
  /** Aborted on Ctrl-C or cancel: finish the current step, checkpoint, throw AbortedError. */
  signal: AbortSignal;
  /** Where to checkpoint; resuming means reading `latest()` first. */
  checkpoints: CheckpointStore;
  /**
   * Resolves a path written in a recipe (relative to the recipe file) or
   * names a bundled asset; undefined where there is no filesystem.
   */
  resolvePath?: (path: string) => string;
  /** Directory for artefacts (plots, adapters) where there is a filesystem. */
  outDir?: string;
  /**
   * Receives what a task produces besides its result (a trained adapter, a
   * model): the CLI writes each under `<out>/<name>/`, the playground offers
   * it as a download. Absent when nobody wants artefacts.
   */
  artifacts?: ArtifactSink;
}

/** Named files a task hands over; paths inside `files` use `/`. */
export interface ArtifactSink {
  save(name: string, files: Record<string, Uint8Array | string>): Promise<void>;
}

/** A `task` registry entry's product. */
export interface Task {
  run(ctx: TaskContext): Promise<TaskResult>;
}
