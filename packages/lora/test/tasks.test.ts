import { readdirSync, readFileSync } from 'node:fs';
import {
  type ArtifactSink,
  type CheckpointState,
  decodeSafetensors,
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
import {
  plugin as data,
  type GlueHandle,
  loadBertUncasedTokenizer,
  loadStories260K,
} from '@kd/data';
import { plugin as nc } from '@kd/datasets-nc';
import { plugin as evalPlugin } from '@kd/eval';
import {
  type BertForSequenceClassification,
  type LlamaForCausalLM,
  loadHF,
  loadLlama2c,
  plugin as nn,
} from '@kd/nn';
import { plugin as optim } from '@kd/optim';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadAdapter, plugin } from '../src/index.js';
import {
  type GenerativeOptions,
  generativeTokens,
  heldOutPerplexity,
} from '../src/tasks/generative.js';
import { CompactVocab, tasksPlugin } from '../src/tasks/index.js';
import { classifierFromBase, evaluateClassifier } from '../src/tasks/qqp.js';
import { encodePairs, loadQqpSplits } from '../src/tasks/qqp-data.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
  for (const p of [data, evalPlugin, nn, optim, nc, plugin, tasksPlugin]) registry.register(p);
});

function context(checkpoints = new MemoryCheckpointStore(), artifacts?: ArtifactSink): TaskContext {
  return {
    seed: 0,
    profile: 'quick',
    registry,
    progress: silentProgress,
    signal: new AbortController().signal,
    checkpoints,
    ...(artifacts ? { artifacts } : {}),
  };
}

/** Keeps every artefact in memory, and the order names were saved in. */
class MemorySink implements ArtifactSink {
  readonly files = new Map<string, Record<string, Uint8Array | string>>();
  readonly saves: string[] = [];
  async save(name: string, files: Record<string, Uint8Array | string>): Promise<void> {
    this.saves.push(name);
    this.files.set(name, files);
  }
  get(name: string): Record<string, Uint8Array | string> {
    const files = this.files.get(name);
    if (!files) throw new Error(`no artefact "${name}" (saved: ${this.saves.join(', ')})`);
    return files;
  }
}

/** A saved adapter artefact as `loadAdapter` input. */
function adapterInput(files: Record<string, Uint8Array | string>) {
  return {
    config: files['adapter_config.json'] as string,
    weights: files['adapter_model.safetensors'] as Uint8Array,
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
    expect(result.summary.full_accuracy).toMatchObject({ n: 2, mean: expect.any(Number) });
    // A resumed run finds all six runs checkpointed and trains nothing: same numbers.
    const state = (await store.latest()) as CheckpointState;
    expect(state.extra?.runs).toHaveLength(6);
    const again = await run('lora-qqp', options, context(store));
    expect(again.tables[0].rows).toEqual(table.rows);
  });

  it("hands the pretrained base and the first seed's adapter or model per arm to ctx.artifacts; each reloads to that run's scores", async () => {
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
        { name: 'PiSSA', adapter: adapter('pissa'), lr: 1e-2 },
        { name: 'LoRA+', adapter: adapter('loraplus'), lr: 1e-2 },
      ],
    };
    const sink = new MemorySink();
    const store = new MemoryCheckpointStore();
    const before = tf.memory().numTensors;
    const result = await run('lora-qqp', options, context(store, sink));
    // Models, adapters (PiSSA's initial factors, modules_to_save copies) and optimiser state all released.
    expect(tf.memory().numTensors).toBe(before);
    // Seed 0 only, one artefact per arm; LoRA+ no longer shares LoRA's key.
    expect(sink.saves).toEqual(['qqp-base', 'models/full', 'adapters/pissa', 'adapters/loraplus']);
    expect(result.summary.loraplus_accuracy).toMatchObject({ n: 2, mean: expect.any(Number) });
    expect(result.notes?.some((n) => n.includes('adapters/pissa'))).toBe(true);

    const base = sink.get('qqp-base');
    expect(Object.keys(base).sort()).toEqual([
      'config.json',
      'model.safetensors',
      'provenance.json',
      'vocab.txt',
    ]);
    const baseHF = {
      config: base['config.json'],
      weights: base['model.safetensors'] as Uint8Array,
    };
    const tokenizer = await loadBertUncasedTokenizer();
    const vocab = CompactVocab.fromVocabTxt(base['vocab.txt'] as string, tokenizer);
    const handle = registry.create<GlueHandle>(
      'dataset',
      'glue-qqp',
      registry.parseOptions('dataset', 'glue-qqp', {}) as Record<string, unknown>,
    );
    const splits = await loadQqpSplits(handle, options.heldOut);
    const heldOut = encodePairs(
      splits.heldOut.slice(0, options.evalRows),
      tokenizer,
      vocab,
      options.maxLength,
    );
    const runs = (await store.latest())?.extra?.runs as {
      arm: string;
      seed: number;
      accuracy: number;
      f1: number;
      mcc: number;
    }[];
    const scores = (arm: string) => {
      const r = runs.find((x) => x.arm === arm && x.seed === 0);
      return { accuracy: r?.accuracy, f1: r?.f1, mcc: r?.mcc };
    };

    // LoRA's B starts at zero: non-zero B factors in the file are the trained ones.
    const tensors = decodeSafetensors(adapterInput(sink.get('adapters/loraplus')).weights).tensors;
    const bs = Object.entries(tensors).filter(([k]) => k.includes('lora_B'));
    expect(bs.length).toBeGreaterThan(0);
    for (const [, t] of bs)
      expect(Array.from(t.data as Float32Array).some((v) => v !== 0)).toBe(true);

    for (const [arm, name] of [
      ['PiSSA', 'adapters/pissa'],
      ['LoRA+', 'adapters/loraplus'],
    ]) {
      // PiSSA is loaded as PEFT loads it: its init replayed on the original base.
      const { lora, report } = loadAdapter(
        classifierFromBase(baseHF, 0, 0),
        adapterInput(sink.get(name)),
      );
      expect(report.modulesToSave.sort()).toEqual(['bert.pooler', 'classifier']);
      const model = lora.model as BertForSequenceClassification;
      expect(await evaluateClassifier(model, heldOut, 16)).toEqual(scores(arm));
      lora.dispose();
    }
    const full = loadHF({
      config: sink.get('models/full')['config.json'],
      weights: sink.get('models/full')['model.safetensors'] as Uint8Array,
    }).model as unknown as BertForSequenceClassification;
    expect(await evaluateClassifier(full, heldOut, 16)).toEqual(scores('full'));
    full.dispose();
  });

  it('refuses two arms whose names give one summary key, before loading anything', async () => {
    const arms = [
      { name: 'LoRA r=8', adapter: adapter('lora'), lr: 1e-2 },
      { name: 'lora-r-8', adapter: adapter('lora'), lr: 1e-2 },
    ];
    await expect(run('lora-qqp', { arms })).rejects.toThrow(/both map to the key "lora_r_8"/);
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

  it("hands each trained arm's first-seed adapter or model to ctx.artifacts; each reloads to the reported perplexity", async () => {
    const options = {
      trainChars: 3000,
      evalChars: 500,
      blockSize: 12,
      batchSize: 2,
      evalBatchSize: 8,
      steps: 3,
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
    };
    const sink = new MemorySink();
    const before = tf.memory().numTensors;
    const result = await run(
      'lora-generative',
      options,
      context(new MemoryCheckpointStore(), sink),
    );
    expect(tf.memory().numTensors).toBe(before);
    // The untrained arm has nothing to hand over.
    expect(sink.saves).toEqual(['adapters/lora_r_2', 'models/full']);
    const ppl = Object.fromEntries(
      result.tables[0].rows.map((r) => [r.arm, (r.perplexity as MeanStd).mean]),
    );
    const parsed = registry.parseOptions('task', 'lora-generative', options) as GenerativeOptions;
    const { heldOut } = await generativeTokens(registry, parsed);
    const { legacy } = await loadStories260K();

    // Same layers, same arithmetic: the reloaded adapter scores what the trained one did (relative 1e-6).
    const { lora } = loadAdapter(loadLlama2c(legacy), adapterInput(sink.get('adapters/lora_r_2')));
    const adapted = heldOutPerplexity(lora.model as LlamaForCausalLM, heldOut, parsed);
    expect(Math.abs(adapted / ppl['LoRA r=2'] - 1)).toBeLessThan(1e-6);
    // …and that is not the base model's score: the file carries the trained factors.
    expect(Math.abs(adapted / ppl.base - 1)).toBeGreaterThan(1e-4);
    lora.dispose();

    const full = loadHF({
      config: sink.get('models/full')['config.json'],
      weights: sink.get('models/full')['model.safetensors'] as Uint8Array,
    }).model as unknown as LlamaForCausalLM;
    const fine = heldOutPerplexity(full, heldOut, parsed);
    expect(Math.abs(fine / ppl.full - 1)).toBeLessThan(1e-6);
    full.dispose();
  });
});

describe('lora-qqp-base (tiny sizes)', () => {
  it('hands the base to ctx.artifacts (no output directory needed) and it builds the classifier', async () => {
    const sink = new MemorySink();
    const result = await run(
      'lora-qqp-base',
      { heldOut: 60, maxLength: 32, pretrain: tinyBase },
      context(new MemoryCheckpointStore(), sink),
    );
    expect(sink.saves).toEqual(['qqp-base']);
    const files = sink.get('qqp-base');
    expect(Object.keys(files).sort()).toEqual([
      'config.json',
      'model.safetensors',
      'provenance.json',
      'vocab.txt',
    ]);
    const tokenizer = await loadBertUncasedTokenizer();
    const vocab = CompactVocab.fromVocabTxt(files['vocab.txt'] as string, tokenizer);
    expect(result.summary.vocabulary).toBe(vocab.size);
    const hf = { config: files['config.json'], weights: files['model.safetensors'] as Uint8Array };
    // The masked-LM model as pretrained, every weight; and the classifier built from it.
    const mlm = loadHF(hf).model;
    expect(mlm.parameterCount()).toBe(result.summary.parameters);
    mlm.dispose();
    classifierFromBase(hf, 0, 0).dispose();
  });

  it('without an artefact sink, an output directory or `out`, refuses before training', async () => {
    await expect(run('lora-qqp-base', { pretrain: tinyBase })).rejects.toThrow(/nowhere to write/);
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
