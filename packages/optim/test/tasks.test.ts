import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AbortedError,
  initBackend,
  type MeanStd,
  MemoryCheckpointStore,
  Registry,
  silentProgress,
  type TaskContext,
  ValidationError,
} from '@kd/core';
import { DirectoryCheckpointStore } from '@kd/core/node';
import { loadBertUncasedTokenizer, type SquadExample, type SquadFeature } from '@kd/data';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildCompactVocab,
  type ComparisonReport,
  decodeSpans,
  lineChartSvg,
  type OptimCompareInput,
  optimCompareOptions,
  type RunResult,
  runComparison,
  splitSquadByArticle,
  sweepLrs,
  tasksPlugin,
  toTaskResult,
} from '../src/tasks/index.js';

// Tiny sizes throughout: a 1-layer d=16 BERT, a few steps, a slice of the dev set.
const TINY_MODEL = {
  hiddenSize: 16,
  numHiddenLayers: 1,
  numAttentionHeads: 2,
  intermediateSize: 32,
  vocabSize: 600,
};
const TINY_SST2 = { steps: 4, batchSize: 8, maxLength: 24, evalLimit: 40 };

function options(over: Partial<OptimCompareInput> = {}) {
  return optimCompareOptions.parse({
    tasks: ['sst2'],
    model: TINY_MODEL,
    settings: { sst2: TINY_SST2 },
    optimizers: [
      { name: 'SGD', id: 'sgd', options: { lr: 0.1, momentum: 0.9 } },
      { name: 'Adam', id: 'adam', options: { lr: 1e-3 } },
      { name: 'Lion', id: 'lion', options: { lr: 1e-4 } },
    ],
    ...over,
  });
}

function context(over: Partial<TaskContext> = {}): TaskContext {
  return {
    seed: 0,
    profile: 'quick',
    registry: new Registry(),
    progress: silentProgress,
    signal: new AbortController().signal,
    checkpoints: new MemoryCheckpointStore(),
    ...over,
  };
}

/** What a run produced, without the wall time (which differs between two identical runs). */
const comparable = (r: RunResult) => {
  const { trainSeconds: _t, ...rest } = r;
  return rest;
};

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('task:optim-compare options', () => {
  it('is registered by tasksPlugin and validates arms against the optimiser schemas', () => {
    const reg = new Registry();
    reg.register(tasksPlugin);
    expect(reg.has('task', 'optim-compare')).toBe(true);
    const bad = optimCompareOptions.safeParse({
      optimizers: [{ id: 'adam', options: { lr: -1, betaz: [0.9, 0.99] } }],
    });
    expect(bad.success).toBe(false);
    const paths = bad.error?.issues.map((i) => i.path.join('.')) ?? [];
    expect(paths).toContain('optimizers.0.options.lr');
    expect(paths).toContain('optimizers.0.options');
    expect(optimCompareOptions.safeParse({ optimizers: [{ id: 'adamz' }] }).success).toBe(false);
  });

  it('refuses duplicate arm names, a second schedule and heads that do not divide the width', () => {
    const dup = optimCompareOptions.safeParse({ optimizers: [{ id: 'adam' }, { id: 'adam' }] });
    expect(dup.error?.issues[0].message).toMatch(/"adam" appears twice/);
    const sched = optimCompareOptions.safeParse({
      optimizers: [{ id: 'adam', options: { schedule: 'constant' } }],
    });
    expect(sched.error?.issues.map((i) => i.message).join('\n')).toMatch(/schedule: false/);
    const heads = optimCompareOptions.safeParse({
      optimizers: [{ id: 'adam' }],
      model: { hiddenSize: 10, numAttentionHeads: 3 },
    });
    expect(heads.error?.issues[0].path).toEqual(['model', 'numAttentionHeads']);
  });

  it('sweeps each arm around its own lr (3 significant digits)', () => {
    const [arm] = options().optimizers;
    expect(sweepLrs(arm, [0.3, 1, 3])).toEqual([0.03, 0.1, 0.3]);
  });
});

describe('data preparation', () => {
  it('builds a compact vocabulary: specials first, then ids by frequency, the rest [UNK]', async () => {
    const tok = await loadBertUncasedTokenizer();
    const { pad, unk, cls, sep, mask } = tok.specialTokens as Record<string, number>;
    // id 2000 ×3, 1996 ×2, 3000 ×2 (ties by id), 4000 ×1; vocabulary of 5 specials + 2.
    const rows = [
      [cls, 2000, 1996, 2000, sep, pad],
      [cls, 3000, 2000, 3000, 1996, 4000, sep],
    ];
    const v = buildCompactVocab(tok, rows, 7);
    expect(v.size).toBe(7);
    expect([pad, unk, cls, sep, mask].map((id) => v.map[id])).toEqual([0, 1, 2, 3, 4]);
    expect(v.map[2000]).toBe(5);
    expect(v.map[1996]).toBe(6);
    expect(v.map[3000]).toBe(1); // tied with 1996 at 2, larger id: cut
    expect(v.map[4000]).toBe(1);
    expect(v.unkRate).toBeCloseTo(3 / 8, 12);
  });

  it('splits bundled SQuAD by article, so no context is shared between training and evaluation', () => {
    const ex = (title: string, i: number): SquadExample => ({
      id: `${title}-${i}`,
      title,
      context: title,
      question: 'q',
      answers: { text: ['a'], answerStart: [0] },
    });
    const all = ['A', 'B', 'C', 'D', 'E', 'F'].flatMap((t) => [ex(t, 0), ex(t, 1)]);
    const { train, dev } = splitSquadByArticle(all);
    expect([...new Set(dev.map((e) => e.title))]).toEqual(['B', 'E']);
    expect(train).toHaveLength(8);
    expect(train.some((e) => dev.some((d) => d.context === e.context))).toBe(false);
  });

  it('decodes spans as HF postprocess_qa_predictions: best start ≤ end inside the context, over all windows', () => {
    const context = 'the quick brown fox jumps';
    const examples: SquadExample[] = [
      {
        id: 'x',
        title: 't',
        context,
        question: 'q',
        answers: { text: ['fox'], answerStart: [16] },
      },
    ];
    // Tokens: [CLS] q [SEP] the quick brown fox jumps [SEP]
    const offsets: ([number, number] | null)[] = [
      null,
      null,
      null,
      [0, 3],
      [4, 9],
      [10, 15],
      [16, 19],
      [20, 25],
      null,
    ];
    const feature = (start: number[], end: number[]) => ({
      f: { exampleIndex: 0, offsets } as unknown as SquadFeature,
      l: { start, end },
    });
    // Window 1: [CLS] and question tokens score highest but are not context; end before start is refused.
    const w1 = feature([9, 9, 0, 0, 0, 1, 3, 0, 0], [9, 9, 0, 0, 0, 0, 2, 5, 0]);
    // Window 2: a weaker "brown fox" span.
    const w2 = feature([0, 0, 0, 0, 0, 2, 0, 0, 0], [0, 0, 0, 0, 0, 0, 2, 0, 0]);
    const texts = decodeSpans(examples, [w1.f, w2.f], [w1.l, w2.l]);
    expect(texts).toEqual(['fox jumps']);
    expect(decodeSpans(examples, [w1.f], [w1.l], { maxAnswerLength: 1 })).toEqual(['fox']);
  });
});

describe('the comparison', () => {
  const inits = new Map<string, Float32Array[]>();
  const batches = new Map<string, number[][]>();
  let report: ComparisonReport;
  beforeAll(async () => {
    report = await runComparison(options({ seeds: 2 }), context(), {
      onInit: (key, params) =>
        inits.set(
          key,
          Object.values(params).map((p) => p.dataSync() as Float32Array),
        ),
      onBatch: (key, step, indices) => {
        const list = batches.get(key) ?? [];
        list[step] = Array.from(indices);
        batches.set(key, list);
      },
    });
  });

  it('starts every arm from identical weights and feeds it the identical batch order', () => {
    expect(report.runs).toHaveLength(6);
    for (const seed of [0, 1]) {
      const keys = ['SGD', 'Adam', 'Lion'].map((a) => `run/sst2/${a}/seed=${seed}`);
      const [first, ...rest] = keys;
      for (const k of rest) {
        expect(inits.get(k)).toEqual(inits.get(first));
        expect(batches.get(k)).toEqual(batches.get(first));
      }
      expect(batches.get(first)).toHaveLength(TINY_SST2.steps);
      const runs = report.runs.filter((r) => r.seed === seed);
      expect(new Set(runs.map((r) => r.initHash)).size).toBe(1);
      expect(new Set(runs.map((r) => r.orderHash)).size).toBe(1);
      // Same start, different optimisers: the trajectories differ after the first step.
      expect(runs[0].losses[0]).toBe(runs[1].losses[0]);
      expect(runs[0].losses.at(-1)).not.toBe(runs[1].losses.at(-1));
    }
    // Another seed is another initialisation and another order.
    expect(inits.get('run/sst2/Adam/seed=1')).not.toEqual(inits.get('run/sst2/Adam/seed=0'));
    expect(batches.get('run/sst2/Adam/seed=1')).not.toEqual(batches.get('run/sst2/Adam/seed=0'));
    expect(tf.memory().numTensors).toBe(0);
  });

  it('renders one row per optimiser (plus the majority baseline), loss curves, wall time and cited references', () => {
    const result = toTaskResult(report);
    const [table] = result.tables;
    expect(table.rows.map((r) => r.optimizer)).toEqual(['SGD', 'Adam', 'Lion', 'majority class']);
    expect(table.columns.map((c) => c.key)).toEqual([
      'optimizer',
      'lr',
      'sst2.accuracy',
      'seconds',
    ]);
    const adam = table.rows[1]['sst2.accuracy'] as MeanStd;
    const values = report.runs.filter((r) => r.arm === 'Adam').map((r) => r.metrics.accuracy);
    expect(adam.n).toBe(2);
    expect(adam.mean).toBeCloseTo((values[0] + values[1]) / 2, 12);
    expect(adam.std).toBeCloseTo(Math.abs(values[0] - values[1]) / Math.SQRT2, 12);
    // Accuracy is a count over the 40 evaluated examples.
    for (const v of values) expect(Math.round(v * 40)).toBeCloseTo(v * 40, 9);
    const loss = result.plots.find((p) => p.id === 'loss-sst2');
    expect(loss?.lines.map((l) => l.name)).toEqual(['SGD', 'Adam', 'Lion']);
    expect(result.plots.find((p) => p.id === 'wall-time')?.categories).toEqual([
      'SGD',
      'Adam',
      'Lion',
    ]);
    expect(result.published?.length).toBeGreaterThan(0);
    for (const p of result.published ?? []) {
      expect(p.source).toMatch(/\d{4}/);
      expect(p.setting).toMatch(/\w{3}/);
      expect(p.kdKey && p.kdKey in result.summary).toBe(true);
    }
    expect(result.summary['sst2.best']).toBeTypeOf('string');
    expect(report.tasks.sst2).toMatchObject({ eval: 40, vocabSize: 600 });
    const svg = lineChartSvg(loss ?? result.plots[0]);
    expect(svg.match(/<path /g)).toHaveLength(3);
    expect(svg).toContain('SST-2 training loss');
  });

  it('resumes a stopped comparison at the arm and step it was on, with results equal to an uninterrupted run', async () => {
    const o = options({ settings: { sst2: { ...TINY_SST2, steps: 6 } }, checkpointEvery: 2 });
    const straight = await runComparison(o, context());

    const store = new MemoryCheckpointStore();
    const stop = new AbortController();
    const interrupted = runComparison(o, context({ checkpoints: store, signal: stop.signal }), {
      onBatch: (key, step) => {
        if (key === 'run/sst2/Adam/seed=0' && step === 2) stop.abort();
      },
    });
    await expect(interrupted).rejects.toThrow(AbortedError);
    const saved = await store.latest();
    expect(saved?.extra?.current).toMatchObject({ key: 'run/sst2/Adam/seed=0', step: 3 });
    expect(Object.keys(saved?.optimizer?.tensors ?? {}).length).toBeGreaterThan(0);

    const resumedKeys: string[] = [];
    const resumed = await runComparison(o, context({ checkpoints: store }), {
      onBatch: (key, step) => resumedKeys.push(`${key}@${step}`),
    });
    // SGD was not rerun; Adam continued at step 3.
    expect(resumedKeys[0]).toBe('run/sst2/Adam/seed=0@3');
    expect(resumed.runs.map(comparable)).toEqual(straight.runs.map(comparable));
    expect(tf.memory().numTensors).toBe(0);
  });

  it('resumes from checkpoints on disk (what `kd run` uses) mid-run, with identical results', async () => {
    const o = options({
      settings: { sst2: { ...TINY_SST2, steps: 5 } },
      optimizers: [
        { name: 'Adam', id: 'adam', options: { lr: 1e-3 } },
        { name: 'SF-AdamW', id: 'schedule-free-adamw', options: { lr: 1e-3 } },
      ],
    });
    const straight = await runComparison(o, context());
    const dir = await mkdtemp(join(tmpdir(), 'kd-optim-compare-'));
    try {
      const stop = new AbortController();
      await expect(
        runComparison(
          o,
          context({ checkpoints: new DirectoryCheckpointStore(dir), signal: stop.signal }),
          {
            onBatch: (key, step) => {
              if (key === 'run/sst2/SF-AdamW/seed=0' && step === 1) stop.abort();
            },
          },
        ),
      ).rejects.toThrow(AbortedError);
      // A fresh store object over the same folder, as a second `kd run` would open it.
      const resumed = await runComparison(
        o,
        context({ checkpoints: new DirectoryCheckpointStore(dir) }),
      );
      expect(resumed.runs.map(comparable)).toEqual(straight.runs.map(comparable));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a checkpoint written by a different configuration', async () => {
    const store = new MemoryCheckpointStore();
    const o = options({ optimizers: [{ id: 'adam', options: { lr: 1e-3 } }] });
    await runComparison(o, context({ checkpoints: store }));
    const changed = options({ optimizers: [{ id: 'adam', options: { lr: 2e-3 } }] });
    await expect(runComparison(changed, context({ checkpoints: store }))).rejects.toThrow(
      ValidationError,
    );
  });

  it('records a diverging arm instead of stopping the comparison', async () => {
    const o = options({
      clipGradNorm: 0,
      optimizers: [
        { name: 'SGD-huge', id: 'sgd', options: { lr: 1e30 }, schedule: false },
        { name: 'Adam', id: 'adam', options: { lr: 1e-3 } },
      ],
    });
    const report = await runComparison(o, context());
    const [huge, adam] = report.runs;
    expect(huge.divergedAt).toBeGreaterThanOrEqual(1);
    expect(huge.metrics).toEqual({});
    expect(adam.divergedAt).toBeUndefined();
    const result = toTaskResult(report);
    expect(result.tables[0].rows[0]['sst2.accuracy']).toBeNaN();
    expect(result.notes?.some((n) => n.includes('Diverged') && n.includes('SGD-huge'))).toBe(true);
    expect(tf.memory().numTensors).toBe(0);
  });

  it('uses the learning rate the sweep chose on held-out training data', async () => {
    const o = options({
      optimizers: [{ name: 'Adam', id: 'adam', options: { lr: 1e-3 } }],
      sweep: { task: 'sst2', factors: [1e-4, 1], steps: 3, holdout: 0.05 },
    });
    const report = await runComparison(o, context());
    const sweep = report.sweep?.results[0];
    expect(sweep?.candidates.map((c) => c.lr)).toEqual([1e-7, 1e-3]);
    const best = sweep?.candidates.reduce((a, c) => (c.score > a.score ? c : a));
    expect(sweep?.chosenLr).toBe(best?.lr);
    expect(report.runs[0].lr).toBe(sweep?.chosenLr);
    expect(report.runs.filter((r) => r.key.startsWith('sweep/'))).toHaveLength(0);
    const table = toTaskResult(report).tables.find((t) => t.id === 'sweep');
    expect(table?.rows).toHaveLength(1);
  });

  it('trains a span head on SQuAD windows and scores it with SQuAD F1/EM', async () => {
    const o = optimCompareOptions.parse({
      tasks: ['squad'],
      model: TINY_MODEL,
      settings: { squad: { steps: 2, batchSize: 4, maxLength: 64, evalLimit: 6 } },
      optimizers: [{ id: 'adamw' }],
    });
    const report = await runComparison(o, context());
    const [run] = report.runs;
    expect(Object.keys(run.metrics).sort()).toEqual(['exact_match', 'f1']);
    expect(run.metrics.f1).toBeGreaterThanOrEqual(run.metrics.exact_match);
    expect(run.metrics.f1).toBeLessThanOrEqual(1);
    expect(report.tasks.squad.eval).toBe(6);
    expect(toTaskResult(report).tables[0].columns.map((c) => c.key)).toContain('squad.exact_match');
  });
});

describe('learning', () => {
  it('reaches better-than-chance SST-2 dev accuracy with Adam in a short run', async () => {
    const o = optimCompareOptions.parse({
      tasks: ['sst2'],
      model: { ...TINY_MODEL, hiddenSize: 32, vocabSize: 2000, hiddenDropoutProb: 0 },
      settings: { sst2: { steps: 80, batchSize: 32, maxLength: 32, evalLimit: 300 } },
      optimizers: [{ id: 'adam', options: { lr: 5e-3 } }],
    });
    const report = await runComparison(o, context());
    const majority = report.tasks.sst2.majority as number;
    const acc = report.runs[0].metrics.accuracy;
    // 300 dev sentences: chance is ≈ 0.5 ± 0.03; require a clear margin over the majority class.
    expect(majority).toBeLessThan(0.56);
    expect(acc).toBeGreaterThan(majority + 0.08);
    const losses = report.runs[0].losses;
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(losses.slice(-20))).toBeLessThan(mean(losses.slice(0, 20)));
  });
});
