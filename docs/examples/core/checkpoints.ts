// A run that checkpoints its parameters and RNG state resumes exactly: the
// numbers after a resume are those of a run that never stopped.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '@kd/core';
import { DirectoryCheckpointStore } from '@kd/core/node';

/** A toy "training" run: a random walk whose noise comes from a seeded Rng. */
async function run(store: DirectoryCheckpointStore, stopAt: number): Promise<number[]> {
  const resumed = await store.latest();
  const rng = new Rng(42);
  let x: Float32Array = new Float32Array([0]);
  let start = 0;
  if (resumed) {
    rng.setState(resumed.rng!.noise);
    x = resumed.params.x.data as Float32Array;
    start = resumed.step;
  }
  const trace = (resumed?.extra?.trace as number[]) ?? [];
  for (let step = start; step < stopAt; step++) {
    x[0] += rng.normal();
    trace.push(x[0]);
    await store.save({
      step: step + 1,
      params: { x: { dtype: 'float32', shape: [1], data: x } },
      rng: { noise: rng.getState() },
      extra: { trace },
    });
  }
  return trace;
}

const dir = await mkdtemp(join(tmpdir(), 'kd-docs-'));
const whole = await run(new DirectoryCheckpointStore(join(dir, 'a'), { keep: 2 }), 10);
const store = new DirectoryCheckpointStore(join(dir, 'b'), { keep: 2 });
await run(store, 4); // "killed" after 4 steps
export const resumed = await run(store, 10); // picks up at step 4
export const identical = resumed.every((v, i) => v === whole[i]);
console.log(identical); // true
await rm(dir, { recursive: true });
