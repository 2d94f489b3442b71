import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  initBackend,
  isMeanStd,
  MemoryCheckpointStore,
  parseRecipeText,
  Registry,
  silentProgress,
  type Task,
  type TaskContext,
  type TaskResult,
  ValidationError,
  validateRecipe,
} from '@kd/core';
import { plugin as dataPlugin } from '@kd/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { plugin } from '../src/index.js';

const recipesDir = fileURLToPath(new URL('../recipes/', import.meta.url));
const recipes = readdirSync(recipesDir).filter((f) => f.endsWith('.yaml'));

function registry(): Registry {
  const reg = Registry.isolated();
  reg.register(dataPlugin);
  reg.register(plugin);
  return reg;
}

function context(
  reg: Registry,
  checkpoints = new MemoryCheckpointStore(),
  progress = silentProgress,
): TaskContext {
  return {
    seed: 0,
    profile: 'quick',
    registry: reg,
    progress,
    signal: new AbortController().signal,
    checkpoints,
    resolvePath: (p) => join(recipesDir, p),
  };
}

function checkResult(r: TaskResult): void {
  expect(r.tables.length).toBeGreaterThan(0);
  for (const t of r.tables) {
    expect(t.rows.length).toBeGreaterThan(0);
    for (const row of t.rows) {
      for (const c of t.columns) expect(row, `${t.id}.${c.key}`).toHaveProperty(c.key);
    }
  }
  for (const p of r.plots) for (const l of p.lines) expect(l.x.length).toBe(l.y.length);
  for (const p of r.published ?? []) if (p.kdKey) expect(r.summary).toHaveProperty([p.kdKey]);
  for (const v of Object.values(r.summary)) {
    if (isMeanStd(v)) expect(Number.isFinite(v.mean)).toBe(true);
  }
}

describe('bundled recipes', () => {
  it.each(recipes)('%s validates in both profiles', (file) => {
    const data = parseRecipeText(readFileSync(join(recipesDir, file), 'utf8'), file);
    for (const profile of ['quick', 'full'] as const) {
      const r = validateRecipe(data, { profile, registry: registry(), where: file });
      expect(['node-classification', 'link-prediction', 'joint-extraction']).toContain(r.task);
    }
  });

  it('a bad option is reported with its path', () => {
    const data = parseRecipeText(
      readFileSync(join(recipesDir, 'planetoid.yaml'), 'utf8'),
      'planetoid.yaml',
    );
    const bad = { ...data, models: [{ model: 'gcn', lr: -1, epochs: 10 }] };
    const full = { registry: registry(), profile: 'full' as const };
    expect(() => validateRecipe(bad, full)).toThrow(ValidationError);
    expect(() => validateRecipe(bad, full)).toThrow(/models\[0\]\.lr: expected number > 0/);
    const unknown = { ...data, datasets: ['pubmed'] };
    expect(() => validateRecipe(unknown, full)).toThrow(/datasets\[0\]/);
  });
});

describe('quick profiles run end to end (wasm)', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
  });

  it('node-classification: GCN and GAT on Cora, mean ± std over 2 seeds; a rerun resumes from the checkpoint', async () => {
    const reg = registry();
    const options = reg.parseOptions('task', 'node-classification', {
      datasets: ['cora'],
      seeds: 2,
      models: [
        { model: 'gcn', lr: 0.01, decay: ['conv1.'], epochs: 20 },
        { model: 'gat', lr: 0.005, epochs: 4 },
      ],
    });
    const task = reg.create<Task>('task', 'node-classification', options);
    const store = new MemoryCheckpointStore();
    const result = await task.run(context(reg, store));
    checkResult(result);
    const gcn = result.summary['cora.gcn.test_acc'];
    expect(isMeanStd(gcn) && gcn.n).toBe(2);
    expect(isMeanStd(gcn) && gcn.mean).toBeGreaterThan(0.6);
    expect(result.published?.map((p) => p.kdKey)).toEqual([
      'cora.gcn.test_acc',
      'cora.gat.test_acc',
    ]);
    // Every run was checkpointed: a second run with the same options trains nothing.
    let stages = 0;
    const counting = {
      ...silentProgress,
      stage: (...a: Parameters<typeof silentProgress.stage>) => {
        stages++;
        return silentProgress.stage(...a);
      },
    };
    const again = await task.run(context(reg, store, counting));
    expect(stages).toBe(0);
    expect(again.summary).toEqual(result.summary);
  });

  it('kg-small: ComplEx and R-GCN + DistMult on Nations with triple classification', async () => {
    const reg = registry();
    const data = parseRecipeText(
      readFileSync(join(recipesDir, 'kg-small.yaml'), 'utf8'),
      'kg-small.yaml',
    );
    const recipe = validateRecipe(data, { registry: reg, profile: 'quick' });
    const result = await reg.create<Task>('task', recipe.task, recipe.options).run(context(reg));
    checkResult(result);
    const mrr = result.summary['nations.complex.mrr'];
    expect(isMeanStd(mrr) && mrr.mean).toBeGreaterThan(0.5);
    const auc = result.summary['nations.complex.auc'];
    expect(isMeanStd(auc) && auc.mean).toBeGreaterThan(0.6);
    expect(result.tables.map((t) => t.id)).toEqual(['link-prediction', 'triple-classification']);
  });

  it('joint-extraction: both models on a CoNLL04 slice, strict F1 tables and SpERT numbers', async () => {
    const reg = registry();
    const options = reg.parseOptions('task', 'joint-extraction', {
      limit: 16,
      hiddenSize: 16,
      layers: 1,
      heads: 2,
      graphHeads: 2,
      epochs: 2,
      evalEvery: 2,
      seeds: 2,
    });
    const result = await reg.create<Task>('task', 'joint-extraction', options).run(context(reg));
    checkResult(result);
    expect(result.tables[0].rows.map((r) => r.model)).toEqual(['encoder+gcn+gat', 'encoder only']);
    const rel = result.summary['conll04.encoder+gcn+gat.relMicroF1'];
    expect(isMeanStd(rel) && rel.n).toBe(2);
    expect(result.published?.map((p) => p.value)).toEqual([0.7147, 0.7287, 0.8894, 0.8625]);
  });
});
