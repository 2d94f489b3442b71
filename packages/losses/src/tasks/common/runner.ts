import { AbortedError, type TaskContext, ValidationError } from '@kd/core';

/** One training run of an experiment: an arm at a seed, and what it measured. */
export interface RunRecord {
  /** Which sub-experiment (e.g. `sst2`), for tasks that run several. */
  group: string;
  arm: string;
  seed: number;
  metrics: Record<string, number>;
  /** Weighted training loss per step. */
  losses: number[];
  /** Each term's unweighted value per step. */
  terms?: Record<string, number[]>;
}

/**
 * Runs every (arm, seed) of a grid, saving the finished runs in
 * `ctx.checkpoints` after each one, so an interrupted experiment resumes at
 * the next unfinished run (each run is deterministic, so the results are
 * those of an uninterrupted experiment). A checkpoint from different options
 * is refused rather than mixed in.
 */
export async function runGrid(
  ctx: Pick<TaskContext, 'checkpoints' | 'signal' | 'progress'>,
  fingerprint: unknown,
  cells: { group: string; arm: string; seed: number }[],
  runOne: (cell: { group: string; arm: string; seed: number }) => Promise<RunRecord>,
): Promise<RunRecord[]> {
  const key = JSON.stringify(fingerprint);
  const latest = await ctx.checkpoints.latest();
  let done: RunRecord[] = [];
  if (latest) {
    if (JSON.stringify(latest.recipe) !== key) {
      throw new ValidationError(
        'the checkpoint directory holds runs of different options or seed; use a fresh output directory',
        [],
        { where: 'experiment checkpoints' },
      );
    }
    done = (latest.extra?.runs as RunRecord[] | undefined) ?? [];
  }
  const stage = ctx.progress.stage('runs', cells.length, 'runs');
  stage.tick(done.length);
  const id = (c: { group: string; arm: string; seed: number }) => `${c.group}/${c.arm}/${c.seed}`;
  const have = new Set(done.map(id));
  for (const cell of cells) {
    if (have.has(id(cell))) continue;
    if (ctx.signal.aborted)
      throw new AbortedError(
        `stopped after ${done.length} of ${cells.length} runs; resume to continue`,
      );
    ctx.progress.log(`${cell.group} · ${cell.arm} · seed ${cell.seed}`);
    done.push(await runOne(cell));
    await ctx.checkpoints.save({
      step: done.length,
      params: {},
      recipe: JSON.parse(key),
      extra: { runs: done },
    });
    stage.tick(1);
  }
  stage.done();
  const order = new Map(cells.map((c, i) => [id(c), i]));
  return done
    .filter((r) => order.has(id(r)))
    .sort((a, b) => (order.get(id(a)) ?? 0) - (order.get(id(b)) ?? 0));
}
