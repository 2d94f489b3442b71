import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError, initBackend, NotFoundError, registry } from '@kd/core';
import { createOptimizer, plugin as optimPlugin } from '@kd/optim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Distiller,
  type DistillTermSpec,
  PrecomputedTeacher,
  parseTeacherIndex,
  plugin,
  precomputeTeacherOutputs,
  teacherOutputsFromShards,
} from '../src/index.js';
import { ShardedTeacherOutputs, writeTeacherOutputs } from '../src/node/index.js';
import { batchAt, tinyStudent, tinyTeacher } from './helpers.js';

let dir: string;
beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
  registry.register(plugin);
  registry.register(optimPlugin);
  dir = await mkdtemp(join(tmpdir(), 'kd-teacher-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const TERMS: DistillTermSpec[] = [
  { loss: 'lm-ce' },
  { loss: 'logit-kd', weight: 0.5 },
  { loss: 'hidden-mse', layers: 'final' },
  { loss: 'attention-kl', layers: [[2, 3]] },
];

async function run(teacher: ConstructorParameters<typeof Distiller>[0]['teacher']) {
  const student = tinyStudent();
  const optimizer = createOptimizer('adamw', { lr: 1e-2 });
  const d = new Distiller({ teacher, student, terms: TERMS, optimizer, seed: 3 });
  await d.train({ data: (s) => batchAt(s), steps: 4 });
  const params = Object.fromEntries(
    Object.entries(d.parameters()).map(([k, p]) => [k, p.dataSync()]),
  );
  d.dispose();
  optimizer.dispose();
  student.dispose();
  return params;
}

describe('teacher outputs on disk', () => {
  it('round-trips through safetensors shards and streams rows across shard boundaries', async () => {
    const teacher = tinyTeacher();
    const probe = new Distiller({
      teacher,
      student: tinyStudent(),
      terms: TERMS,
      optimizer: createOptimizer('sgd'),
    });
    const request = probe.teacherRequest;
    expect(request).toEqual({ logits: true, layers: { hidden: [3], attentions: [3] } });
    const memory = await precomputeTeacherOutputs(
      teacher,
      [0, 1, 2, 3].map((s) => batchAt(s)),
      request,
    );
    const index = await writeTeacherOutputs(join(dir, 'f32'), memory, { shardSize: 5 });
    expect(index.shards.map((s) => [s.start, s.end])).toEqual([
      [0, 5],
      [5, 10],
      [10, 15],
      [15, 16],
    ]);
    const sharded = await ShardedTeacherOutputs.open(join(dir, 'f32'));
    const rows = [4, 5, 6, 15, 0];
    for (const key of Object.keys(memory.rowShapes)) {
      expect(await sharded.read(key, rows)).toEqual(memory.read(key, rows));
    }
    // The same files decoded in memory (what a browser does after fetching them).
    const files = Object.fromEntries(
      await Promise.all(
        index.shards.map(async (s) => [
          s.file,
          new Uint8Array(await readFile(join(dir, 'f32', s.file))),
        ]),
      ),
    );
    const decoded = teacherOutputsFromShards(index, files);
    expect(decoded.read('logits', rows)).toEqual(memory.read('logits', rows));

    // Distilling from the streamed shards is bit-identical to distilling from the live teacher.
    const live = await run(teacher);
    const streamed = await run(new PrecomputedTeacher(sharded));
    expect(streamed).toEqual(live);
    await sharded.close();

    // F16 shards: half the bytes, values within half precision.
    await writeTeacherOutputs(join(dir, 'f16'), memory, { shardSize: 8, dtype: 'F16' });
    const half = await ShardedTeacherOutputs.open(join(dir, 'f16'));
    const a = await half.read('hidden.3', [3, 9]);
    const b = memory.read('hidden.3', [3, 9]);
    for (let i = 0; i < a.length; i++)
      expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(b[i])));
    await half.close();
    probe.dispose();
    teacher.dispose();
  });

  it('bad directories and indexes are typed errors', async () => {
    await expect(ShardedTeacherOutputs.open(join(dir, 'nope'))).rejects.toThrow(NotFoundError);
    expect(() => parseTeacherIndex('{"format":"other"}')).toThrow(FormatError);
    const text = await readFile(join(dir, 'f32', 'index.json'), 'utf8');
    const broken = JSON.parse(text);
    broken.shards[1].start = 6;
    expect(() => parseTeacherIndex(JSON.stringify(broken))).toThrow(/contiguously/);
    await writeFile(
      join(dir, 'f32', 'index.json'),
      JSON.stringify({ ...JSON.parse(text), features: { 'hidden.3': [8, 99] } }),
    );
    await expect(ShardedTeacherOutputs.open(join(dir, 'f32'))).rejects.toThrow(
      /expected tensor "hidden.3"/,
    );
  });
});
