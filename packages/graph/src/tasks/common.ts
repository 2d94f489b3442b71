import type { CheckpointStore, Line, TaskContext } from '@kd/core';
import { z } from 'zod';

/** A dataset by name (bundled) or `{ name, path }` (a folder, relative to the recipe). */
export function datasetSpec<const T extends readonly [string, ...string[]]>(names: T) {
  const name = z.enum(names);
  return z.union([
    name.transform((n) => ({ name: n, path: undefined as string | undefined })),
    z.strictObject({ name, path: z.string().min(1).optional() }),
  ]);
}

/** Mean of per-seed curves (truncated to the shortest), as a plot line. */
export function meanCurve(
  name: string,
  curves: readonly (readonly number[])[],
  x?: readonly number[],
): Line {
  const len = Math.min(...curves.map((c) => c.length));
  const y = Array.from(
    { length: len },
    (_, i) => curves.reduce((a, c) => a + c[i], 0) / curves.length,
  );
  return { name, x: x ? x.slice(0, len) : Array.from({ length: len }, (_, i) => i + 1), y };
}

/**
 * Finished runs survive a stop: after each one the task checkpoints the list
 * of results, and a rerun with the same options skips what is already done.
 */
export class RunLog<R> {
  readonly #store: CheckpointStore;
  readonly #key: string;
  runs: Record<string, R> = {};

  private constructor(store: CheckpointStore, key: string) {
    this.#store = store;
    this.#key = key;
  }

  static async open<R>(ctx: TaskContext, options: unknown): Promise<RunLog<R>> {
    const key = JSON.stringify({ options, seed: ctx.seed, profile: ctx.profile });
    const log = new RunLog<R>(ctx.checkpoints, key);
    const latest = await ctx.checkpoints.latest();
    if (latest && latest.recipe === key) {
      log.runs = (latest.extra?.runs as Record<string, R>) ?? {};
    }
    return log;
  }

  async record(id: string, result: R): Promise<void> {
    this.runs[id] = result;
    await this.#store.save({
      step: Object.keys(this.runs).length,
      params: {},
      recipe: this.#key,
      extra: { runs: this.runs },
    });
  }
}

export const fmt = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : String(v));
