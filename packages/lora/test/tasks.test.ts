import { readdirSync, readFileSync } from 'node:fs';
import {
  type CheckpointState,
  initBackend,
  isMeanStd,
  type MeanStd,
  MemoryCheckpointStore,
  parseRecipeText,
  registry,
  silentProgress,
  type Task,
  type TaskContext,
  type TaskResult,
  validateRecipe,
} from '@kd/core';
import { plugin as data } from '@kd/data';
import { plugin as nc } from '@kd/datasets-nc';
import { plugin as evalPlugin } from '@kd/eval';
import { plugin as nn } from '@kd/nn';
import { plugin as optim } from '@kd/optim';
import { beforeAll, describe, expect, it } from 'vitest';
import { plugin } from '../src/index.js';
import { tasksPlugin } from '../src/tasks/index.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
  for (const p of [data, evalPlugin, nn, optim, nc, plugin, tasksPlugin]) registry.register(p);
});

function context(checkpoints = new MemoryCheckpointStore()): TaskContext {
  return {
    seed: 0,
    profile: 'quick',
    registry,
    progress: silentProgress,
    signal: new AbortController().signal,
    checkpoints,
  };
}

async function run(
  task: string,
  options: Record<string, unknown>,
  ctx = context(),
): Promise<TaskResult> {
  const parsed = registry.parseOptions('task', task, options);
  return registry.create<Task>('task', task, parsed as Record<string, unknown>).run(ctx);
}

const tinyBase = {
  hiddenSize: 16,
  numHiddenLayers: 1,
  numAttentionHeads: 2,
  intermediateSize: 32,
  steps: 3,
  batchSize: 8,
  minCount: 3,
};
const adapter = (id: string) => ({
  id,
  options: {
    r: 2,
    loraAlpha: 4,
    targetModules: 'all-linear',
    taskType: 'SEQ_CLS',
    modulesToSave: ['pooler'],
  },
});

describe('lora-qqp (tiny sizes)', () => {
  it('runs every arm and seed, reports mean ± std, and resumes from finished runs', async () => {
    const options = {
      heldOut: 60,
      evalRows: 24,
      maxLength: 32,
      base: { pretrain: tinyBase },
      steps: 3,
      batchSize: 4,
      seeds: [0, 1],
      arms: [
        { name: 'full', adapter: null, lr: 1e-3 },
        { name: 'DoRA', adapter: adapter('dora'), lr: 1e-2 },
        { name: 'LoRA+', adapter: adapter('loraplus'), lr: 1e-2 },
      ],
    };
    const store = new MemoryCheckpointStore();
    const result = await run('lora-qqp', options, context(store));
    const [table] = result.tables;
    expect(table.rows.map((r) => r.arm)).toEqual(['full', 'DoRA', 'LoRA+']);
    for (const row of table.rows) {
      for (const k of ['accuracy', 'f1', 'mcc']) {
        const v = row[k] as MeanStd;
        expect(isMeanStd(v) && v.n).toBe(2);
        expect(v.mean).toBeGreaterThanOrEqual(k === 'mcc' ? -1 : 0);
        expect(v.mean).toBeLessThanOrEqual(1);
      }
      expect(Number(row.peak)).toBeGreaterThan(0);
    }
    const full = Number(table.rows[0].trainable);
    const dora = Number(table.rows[1].trainable);
    expect(dora).toBeLessThan(full);
    expect(result.summary.full_accuracy).toBeDefined();
    // A resumed run finds all six runs checkpointed and trains nothing: same numbers.
    const state = (await store.latest()) as CheckpointState;
    expect(state.extra?.runs).toHaveLength(6);
    const again = await run('lora-qqp', options, context(store));
    expect(again.tables[0].rows).toEqual(table.rows);
  });
});

describe('lora-generative (tiny sizes)', () => {
  it('base vs LoRA vs full: perplexity and trainable parameters', async () => {
    const result = await run('lora-generative', {
      trainChars: 3000,
      evalChars: 500,
      blockSize: 12,
      batchSize: 2,
      evalBatchSize: 8,
      steps: 2,
      seeds: [0],
      arms: [
        { name: 'base', adapter: null, lr: 1e-3, steps: 0 },
        {
          name: 'LoRA r=2',
          adapter: { id: 'lora', options: { r: 2, targetModules: 'all-linear' } },
          lr: 1e-2,
        },
        { name: 'full', adapter: null, lr: 1e-3 },
      ],
    });
    const rows = result.tables[0].rows;
    // r·(in + out) summed over q, k, v, o, gate, up, down of 5 blocks; full = every weight of stories260K.
    const perBlock = 2 * (64 + 64) * 2 + 2 * (64 + 32) * 2 + 2 * (64 + 172) * 3;
    expect(rows.map((r) => r.trainable)).toEqual([0, 5 * perBlock, 260032]);
    for (const r of rows) expect((r.perplexity as MeanStd).mean).toBeGreaterThan(1);
    expect(result.plots[0].lines).toHaveLength(2);
  });
});

describe('bundled recipes', () => {
  const dir = new URL('../recipes/', import.meta.url);
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
  it.each(files)('%s validates in both profiles', (file) => {
    const text = readFileSync(new URL(file, dir), 'utf8');
    for (const profile of ['quick', 'full'] as const) {
      const recipe = validateRecipe(parseRecipeText(text, file), { profile });
      expect(recipe.task).toMatch(/^lora-/);
    }
  });
});

describe('the bundled QQP base (@kd/datasets-nc/assets/lora-qqp-base)', () => {
  it('reads (gzip), builds a classifier with only the pooler and head new, and tokenises with its vocabulary', async () => {
    const { loadBertUncasedTokenizer } = await import('@kd/data');
    const { readBase } = await import('../src/tasks/qqp-base.js');
    const { classifierFromBase } = await import('../src/tasks/qqp.js');
    const tokenizer = await loadBertUncasedTokenizer();
    const dir = new URL('../../datasets-nc/assets/lora-qqp-base/', import.meta.url).pathname;
    const { files, vocab } = await readBase(dir, tokenizer);
    expect(vocab.size).toBe(5732);
    const model = classifierFromBase(files, 0, 0);
    expect(model.parameterCount()).toBe(
      481188 - 5732 - 64 * 64 - 64 - 64 - 64 + 64 * 64 + 64 + 64 * 2 + 2,
    );
    const ids = vocab.map(tokenizer.encode('How do I learn Python?').ids);
    expect(ids.filter((i) => i === vocab.unk)).toHaveLength(0);
    model.dispose();
  });
});
