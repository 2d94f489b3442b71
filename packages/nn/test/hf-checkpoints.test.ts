import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeSafetensors,
  encodeSafetensors,
  initBackend,
  NotFoundError,
  ShapeError,
  ValidationError,
} from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BertForMaskedLM,
  BertForQuestionAnswering,
  BertForSequenceClassification,
  BertForTokenClassification,
  BertModel,
  DistilBertForMaskedLM,
  DistilBertForSequenceClassification,
  DistilBertModel,
  GPT2LMHeadModel,
  GPT2Model,
  LlamaForCausalLM,
  loadHF,
  type Module,
  saveHF,
} from '../src/index.js';
import { loadHFDirectory, saveHFDirectory } from '../src/node/index.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const bert = {
  vocabSize: 40,
  hiddenSize: 8,
  numHiddenLayers: 2,
  numAttentionHeads: 2,
  intermediateSize: 16,
  maxPositionEmbeddings: 16,
};
const distil = {
  vocabSize: 40,
  dim: 8,
  nLayers: 2,
  nHeads: 2,
  hiddenDim: 16,
  maxPositionEmbeddings: 16,
};
const gpt2 = { vocabSize: 40, nPositions: 16, nEmbd: 8, nLayer: 2, nHead: 2 };
const llama = {
  vocabSize: 40,
  hiddenSize: 8,
  intermediateSize: 12,
  numHiddenLayers: 2,
  numAttentionHeads: 4,
  numKeyValueHeads: 2,
  maxPositionEmbeddings: 16,
};
const ids = [[1, 5, 7, 2, 9]];

function bits(m: Module): Record<string, number[]> {
  return Object.fromEntries(
    m
      .namedParameters()
      .map(([k, p]) => [
        k,
        Array.from(new Uint32Array((p.dataSync() as Float32Array).slice().buffer)),
      ]),
  );
}

function logits(m: Module): number[] {
  return tf.tidy(() => {
    const out = (m as unknown as { forward(i: unknown): Record<string, tf.Tensor> }).forward({
      inputIds: ids,
    });
    const t = out.logits ?? out.lastHiddenState ?? out.startLogits;
    return Array.from(t.dataSync());
  });
}

describe('save in the Hugging Face layout and load back bit-identically', () => {
  const cases: [string, () => Module][] = [
    ['BertModel', () => new BertModel(bert, { seed: 1 })],
    ['BertForMaskedLM', () => new BertForMaskedLM(bert, { seed: 2 })],
    [
      'BertForSequenceClassification',
      () =>
        new BertForSequenceClassification(
          { ...bert, id2label: { 0: 'no', 1: 'maybe', 2: 'yes' } },
          { seed: 3 },
        ),
    ],
    [
      'BertForTokenClassification',
      () => new BertForTokenClassification({ ...bert, numLabels: 4 }, { seed: 4 }),
    ],
    ['BertForQuestionAnswering', () => new BertForQuestionAnswering(bert, { seed: 5 })],
    ['DistilBertModel', () => new DistilBertModel(distil, { seed: 6 })],
    ['DistilBertForMaskedLM', () => new DistilBertForMaskedLM(distil, { seed: 7 })],
    [
      'DistilBertForSequenceClassification',
      () => new DistilBertForSequenceClassification(distil, { seed: 8 }),
    ],
    ['GPT2LMHeadModel', () => new GPT2LMHeadModel(gpt2, { seed: 9 })],
    ['LlamaForCausalLM', () => new LlamaForCausalLM(llama, { seed: 10 })],
    [
      'LlamaForCausalLM (tied)',
      () => new LlamaForCausalLM({ ...llama, tieWordEmbeddings: true }, { seed: 11 }),
    ],
  ];
  for (const [name, make] of cases) {
    it(name, () => {
      const m = make().eval();
      const { config, files } = saveHF(m);
      expect(config.architectures).toEqual([name.split(' ')[0]]);
      expect(config.torch_dtype).toBe('float32');
      const { model, report } = loadHF(
        { config: files['config.json'], weights: files['model.safetensors'] },
        { seed: 999 },
      );
      expect(report.missing).toEqual([]);
      expect(report.unexpected).toEqual([]);
      expect(model.constructor).toBe(m.constructor);
      expect(bits(model)).toEqual(bits(m));
      expect(logits(model)).toEqual(logits(m));
      // Tied weights are stored once, as save_pretrained does.
      const stored = Object.keys(decodeSafetensors(files['model.safetensors']).tensors);
      for (const alias of Object.keys(m.tiedParameters())) expect(stored).not.toContain(alias);
      m.dispose();
      model.dispose();
    });
  }

  it('writes Hugging Face config keys and keeps unknown ones', () => {
    const m = new BertForSequenceClassification({
      ...bert,
      id2label: { 0: 'neg', 1: 'pos' },
      extra: { finetuning_task: 'sst2' },
    });
    const { config } = saveHF(m);
    expect(config).toMatchObject({
      model_type: 'bert',
      hidden_size: 8,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      intermediate_size: 16,
      hidden_act: 'gelu',
      layer_norm_eps: 1e-12,
      id2label: { 0: 'neg', 1: 'pos' },
      label2id: { neg: 0, pos: 1 },
      finetuning_task: 'sst2',
    });
    expect(config).not.toHaveProperty('num_labels');
    expect(config).not.toHaveProperty('extra');
    const g = saveHF(new GPT2LMHeadModel(gpt2)).config;
    expect(g).toMatchObject({
      n_embd: 8,
      n_layer: 2,
      n_head: 2,
      n_positions: 16,
      activation_function: 'gelu_new',
      layer_norm_epsilon: 1e-5,
    });
    const l = saveHF(new LlamaForCausalLM(llama)).config;
    expect(l).toMatchObject({
      num_key_value_heads: 2,
      rms_norm_eps: 1e-6,
      rope_theta: 10000,
      tie_word_embeddings: false,
    });
    m.dispose();
  });
});

describe('tampered checkpoints fail naming the key', () => {
  const saved = () => {
    const m = new BertForMaskedLM(bert, { seed: 1 });
    const { files } = saveHF(m);
    m.dispose();
    return {
      config: files['config.json'],
      tensors: decodeSafetensors(files['model.safetensors']).tensors,
    };
  };

  it('a missing key', () => {
    const { config, tensors } = saved();
    delete tensors['bert.encoder.layer.1.attention.self.value.bias'];
    const weights = encodeSafetensors(tensors);
    expect(() => loadHF({ config, weights })).toThrow(ValidationError);
    expect(() => loadHF({ config, weights })).toThrow(
      /missing keys: "bert\.encoder\.layer\.1\.attention\.self\.value\.bias"/,
    );
    const { model, report } = loadHF({ config, weights }, { strict: false });
    expect(report.missing).toEqual(['bert.encoder.layer.1.attention.self.value.bias']);
    model.dispose();
  });

  it('a wrong shape', () => {
    const { config, tensors } = saved();
    const t = tensors['bert.encoder.layer.0.intermediate.dense.weight'];
    tensors['bert.encoder.layer.0.intermediate.dense.weight'] = {
      dtype: 'F32',
      shape: [16, 7],
      data: new Float32Array(16 * 7),
    };
    void t;
    const weights = encodeSafetensors(tensors);
    expect(() => loadHF({ config, weights })).toThrow(ShapeError);
    expect(() => loadHF({ config, weights }, { strict: false })).toThrow(
      /"bert\.encoder\.layer\.0\.intermediate\.dense\.weight": expected shape \[16, 8\], got \[16, 7\]/,
    );
  });

  it('an unexpected key, and a non-float tensor', () => {
    const { config, tensors } = saved();
    tensors['bert.encoder.layer.0.attention.self.qurey.weight'] = {
      dtype: 'F32',
      shape: [1],
      data: new Float32Array(1),
    };
    expect(() => loadHF({ config, weights: encodeSafetensors(tensors) })).toThrow(
      /unexpected keys: "bert\.encoder\.layer\.0\.attention\.self\.qurey\.weight"/,
    );
    delete tensors['bert.encoder.layer.0.attention.self.qurey.weight'];
    tensors['bert.embeddings.LayerNorm.bias'] = {
      dtype: 'I32',
      shape: [8],
      data: new Int32Array(8),
    };
    expect(() => loadHF({ config, weights: encodeSafetensors(tensors) })).toThrow(
      /"bert\.embeddings\.LayerNorm\.bias" has dtype I32/,
    );
  });

  it('a corrupt file or config', () => {
    const { config } = saved();
    expect(() => loadHF({ config, weights: new Uint8Array([1, 2, 3]) })).toThrow();
    expect(() => loadHF({ config: '{nope', weights: new Uint8Array() })).toThrow(
      /config\.json is not a JSON object/,
    );
    expect(() => loadHF({ config: { model_type: 't5' }, weights: {} })).toThrow(NotFoundError);
    expect(() =>
      loadHF({
        config: { architectures: ['BertForMultipleChoice'], model_type: 'bert' },
        weights: {},
      }),
    ).toThrow(/not supported/);
  });
});

describe('checkpoints as Hugging Face writes them', () => {
  it('legacy LayerNorm gamma/beta names, position_ids buffers and F16/BF16 weights load', () => {
    const m = new BertModel(bert, { seed: 3 });
    const { files } = saveHF(m);
    const tensors = decodeSafetensors(files['model.safetensors']).tensors;
    const renamed: Record<string, (typeof tensors)[string]> = {};
    for (const [k, v] of Object.entries(tensors)) {
      const k2 = k.includes('LayerNorm')
        ? k.replace(/weight$/, 'gamma').replace(/bias$/, 'beta')
        : k;
      // Store matrices as F16 and vectors as BF16, as mixed-precision saves do.
      renamed[k2] = { ...v, dtype: v.shape.length === 2 ? 'F16' : 'BF16' };
    }
    renamed['embeddings.position_ids'] = {
      dtype: 'I64',
      shape: [1, 16],
      data: Int32Array.from({ length: 16 }, (_, i) => i),
    };
    const { model, report } = loadHF({
      config: files['config.json'],
      weights: encodeSafetensors(renamed),
    });
    expect(report.ignored).toEqual(['embeddings.position_ids']);
    // Matrices: 3 embeddings, 6 per layer, pooler; vectors: embeddings LayerNorm, 10 per layer, pooler bias.
    expect(report.dtypes).toEqual({ F16: 3 + 2 * 6 + 1, BF16: 2 + 2 * 10 + 1 });
    // Every value equals the original rounded to the stored precision (decoded by @kd/core).
    const stored = decodeSafetensors(encodeSafetensors(renamed)).tensors;
    for (const [k, p] of model.namedParameters()) {
      const src =
        stored[
          k.includes('LayerNorm') ? k.replace(/weight$/, 'gamma').replace(/bias$/, 'beta') : k
        ];
      expect(Array.from(p.dataSync())).toEqual(Array.from(src.data as Float32Array));
      const orig = tensors[k].data as Float32Array;
      const got = p.dataSync();
      const relTol = src.dtype === 'F16' ? 2 ** -11 : 2 ** -8;
      for (let i = 0; i < orig.length; i++)
        expect(Math.abs(got[i] - orig[i])).toBeLessThanOrEqual(relTol * Math.abs(orig[i]) + 1e-7);
    }
    m.dispose();
    model.dispose();
  });

  it('GPT-2 as the hub stores it: no transformer. prefix, attn.bias buffers, lm_head tied', () => {
    const m = new GPT2LMHeadModel(gpt2, { seed: 4 });
    const { files } = saveHF(m);
    const tensors = decodeSafetensors(files['model.safetensors']).tensors;
    const hub: Record<string, (typeof tensors)[string]> = {};
    for (const [k, v] of Object.entries(tensors)) hub[k.replace(/^transformer\./, '')] = v;
    hub['h.0.attn.bias'] = { dtype: 'F32', shape: [1, 1, 16, 16], data: new Float32Array(256) };
    hub['h.1.attn.masked_bias'] = { dtype: 'F32', shape: [], data: new Float32Array(1) };
    const { model, report } = loadHF({
      config: files['config.json'],
      weights: encodeSafetensors(hub),
    });
    expect(report.ignored.sort()).toEqual(['h.0.attn.bias', 'h.1.attn.masked_bias']);
    expect(bits(model)).toEqual(bits(m));
    // The base model loads from the same file.
    const base = loadHF(
      { config: files['config.json'], weights: encodeSafetensors(hub) },
      { architecture: 'GPT2Model' },
    );
    expect(base.model).toBeInstanceOf(GPT2Model);
    expect(base.report.missing).toEqual([]);
    m.dispose();
    model.dispose();
    base.model.dispose();
  });

  it('a base checkpoint loads into a head model (head initialised) and a head checkpoint into the base', () => {
    const base = new BertModel(bert, { seed: 5 });
    const { files } = saveHF(base);
    const { model, report } = loadHF(
      { config: files['config.json'], weights: files['model.safetensors'] },
      { architecture: 'BertForSequenceClassification', config: { numLabels: 3 }, seed: 7 },
    );
    expect(model).toBeInstanceOf(BertForSequenceClassification);
    expect(report.initialized).toEqual(['classifier.weight', 'classifier.bias']);
    expect(report.missing).toEqual([]);
    expect(model.getParameter('classifier.weight').shape).toEqual([3, 8]);
    expect(
      Array.from(model.getParameter('bert.encoder.layer.1.output.dense.weight').dataSync()),
    ).toEqual(Array.from(base.getParameter('encoder.layer.1.output.dense.weight').dataSync()));
    const head = saveHF(model).files;
    const back = loadHF(
      { config: head['config.json'], weights: head['model.safetensors'] },
      { architecture: 'BertModel' },
    );
    expect(back.report.unused).toEqual(['classifier.bias', 'classifier.weight']);
    expect(bits(back.model)).toEqual(bits(base));
    // Asking for another head works the same way (its head initialised, the classifier unused).
    expect(() =>
      loadHF(
        { config: JSON.parse(head['config.json']), weights: head['model.safetensors'] },
        { architecture: 'BertForMaskedLM' },
      ),
    ).not.toThrow();
    base.dispose();
    model.dispose();
    back.model.dispose();
  });
});

describe('Node directories', () => {
  it('saveHFDirectory / loadHFDirectory, including a sharded checkpoint', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kd-nn-'));
    try {
      const m = new LlamaForCausalLM(llama, { seed: 12 });
      await saveHFDirectory(m, dir);
      const cfg = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
      expect(cfg.architectures).toEqual(['LlamaForCausalLM']);
      const { model } = await loadHFDirectory(dir);
      expect(bits(model)).toEqual(bits(m));
      model.dispose();

      // Split into two shards with an index, as save_pretrained does for big models.
      const shardDir = join(dir, 'sharded');
      const tensors = decodeSafetensors(await readFile(join(dir, 'model.safetensors'))).tensors;
      const names = Object.keys(tensors);
      const half = Math.ceil(names.length / 2);
      const shards = [names.slice(0, half), names.slice(half)];
      const weightMap: Record<string, string> = {};
      await rm(shardDir, { recursive: true, force: true });
      await saveHFDirectory(m, shardDir);
      await rm(join(shardDir, 'model.safetensors'));
      for (let i = 0; i < 2; i++) {
        const file = `model-0000${i + 1}-of-00002.safetensors`;
        await writeFile(
          join(shardDir, file),
          encodeSafetensors(Object.fromEntries(shards[i].map((n) => [n, tensors[n]]))),
        );
        for (const n of shards[i]) weightMap[n] = file;
      }
      await writeFile(
        join(shardDir, 'model.safetensors.index.json'),
        JSON.stringify({ metadata: {}, weight_map: weightMap }),
      );
      const sharded = await loadHFDirectory(shardDir);
      expect(bits(sharded.model)).toEqual(bits(m));
      sharded.model.dispose();
      await expect(loadHFDirectory(join(dir, 'missing'))).rejects.toThrow(NotFoundError);
      m.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
