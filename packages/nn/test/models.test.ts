import { initBackend, ShapeError, ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BertForMaskedLM,
  BertForQuestionAnswering,
  BertForSequenceClassification,
  BertForTokenClassification,
  BertModel,
  type CausalLanguageModel,
  DistilBertForMaskedLM,
  DistilBertForQuestionAnswering,
  DistilBertForSequenceClassification,
  DistilBertForTokenClassification,
  DistilBertModel,
  disposeCache,
  GPT2LMHeadModel,
  type KVCache,
  LlamaForCausalLM,
} from '../src/index.js';
import * as ref from './reference.js';

// Whole models in float32 against float64 loops: relative 1e-4.
const TOL = 1e-4;

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const ids = [
  [3, 7, 1, 9, 4, 2],
  [5, 2, 8, 8, 0, 0],
];
const mask = [
  [1, 1, 1, 1, 1, 1],
  [1, 1, 1, 1, 0, 0],
];
const B = 2;
const T = 6;

/** Reference BERT encoder (post-LN) on flattened [B·T, d] rows. */
function refBert(
  p: Record<string, Float64Array>,
  pre: string,
  c: { d: number; h: number; ff: number; layers: number; act: string; eps: number },
  x: Float64Array,
  typesUsed = true,
) {
  void typesUsed;
  const n = B * T;
  let h = x;
  for (let l = 0; l < c.layers; l++) {
    const L = `${pre}encoder.layer.${l}.`;
    const q = ref.linear(
      h,
      n,
      p[`${L}attention.self.query.weight`],
      c.d,
      c.d,
      p[`${L}attention.self.query.bias`],
    );
    const k = ref.linear(
      h,
      n,
      p[`${L}attention.self.key.weight`],
      c.d,
      c.d,
      p[`${L}attention.self.key.bias`],
    );
    const v = ref.linear(
      h,
      n,
      p[`${L}attention.self.value.weight`],
      c.d,
      c.d,
      p[`${L}attention.self.value.bias`],
    );
    const { ctx } = ref.attention(
      q,
      k,
      v,
      { b: B, t: T, s: T, h: c.h, hkv: c.h, dh: c.d / c.h },
      (b, _i, j) => mask[b][j] === 1,
    );
    const ao = ref.linear(
      ctx,
      n,
      p[`${L}attention.output.dense.weight`],
      c.d,
      c.d,
      p[`${L}attention.output.dense.bias`],
    );
    const a = ref.layerNorm(
      ref.add(ao, h),
      n,
      c.d,
      p[`${L}attention.output.LayerNorm.weight`],
      p[`${L}attention.output.LayerNorm.bias`],
      c.eps,
    );
    const inter = ref.map(
      ref.linear(
        a,
        n,
        p[`${L}intermediate.dense.weight`],
        c.ff,
        c.d,
        p[`${L}intermediate.dense.bias`],
      ),
      ref.act[c.act],
    );
    const o = ref.linear(
      inter,
      n,
      p[`${L}output.dense.weight`],
      c.d,
      c.ff,
      p[`${L}output.dense.bias`],
    );
    h = ref.layerNorm(
      ref.add(o, a),
      n,
      c.d,
      p[`${L}output.LayerNorm.weight`],
      p[`${L}output.LayerNorm.bias`],
      c.eps,
    );
  }
  return h;
}

function gather(table: Float64Array, d: number, rows: number[]): Float64Array {
  const out = new Float64Array(rows.length * d);
  for (const [i, r] of rows.entries()) out.set(table.subarray(r * d, (r + 1) * d), i * d);
  return out;
}

describe('BERT', () => {
  const config = {
    vocabSize: 20,
    hiddenSize: 8,
    numHiddenLayers: 2,
    numAttentionHeads: 2,
    intermediateSize: 12,
    maxPositionEmbeddings: 10,
    layerNormEps: 1e-12,
  };

  it('BertModel (embeddings, post-LN layers, pooler) matches the loops', () => {
    const m = new BertModel(config, { seed: 3 }).eval();
    const p = ref.params(m);
    const types = [
      [0, 0, 0, 1, 1, 1],
      [0, 0, 1, 1, 1, 1],
    ];
    const flat = ids.flat();
    const pos = Array.from({ length: B * T }, (_, i) => i % T);
    let emb = ref.add(
      ref.add(
        gather(p['embeddings.word_embeddings.weight'], 8, flat),
        gather(p['embeddings.token_type_embeddings.weight'], 8, types.flat()),
      ),
      gather(p['embeddings.position_embeddings.weight'], 8, pos),
    );
    emb = ref.layerNorm(
      emb,
      B * T,
      8,
      p['embeddings.LayerNorm.weight'],
      p['embeddings.LayerNorm.bias'],
      1e-12,
    );
    const h = refBert(p, '', { d: 8, h: 2, ff: 12, layers: 2, act: 'gelu', eps: 1e-12 }, emb);
    const cls = new Float64Array([...h.subarray(0, 8), ...h.subarray(T * 8, T * 8 + 8)]);
    const pooled = ref.map(
      ref.linear(cls, 2, p['pooler.dense.weight'], 8, 8, p['pooler.dense.bias']),
      Math.tanh,
    );
    ref.tidy(() => {
      const out = m.forward({ inputIds: ids, attentionMask: mask, tokenTypeIds: types });
      expect(out.lastHiddenState.shape).toEqual([2, 6, 8]);
      expect(ref.maxRelDiff(ref.toF64(out.lastHiddenState), h)).toBeLessThan(TOL);
      expect(ref.maxRelDiff(ref.toF64(out.poolerOutput as tf.Tensor), pooled)).toBeLessThan(TOL);
    });
    m.dispose();
  });

  it('padding does not change the real tokens’ outputs', () => {
    const m = new BertModel(config, { seed: 3 }).eval();
    ref.tidy(() => {
      const short = m.forward({ inputIds: [[5, 2, 8, 8]] }).lastHiddenState;
      const padded = m.forward({
        inputIds: [[5, 2, 8, 8, 0, 0]],
        attentionMask: [[1, 1, 1, 1, 0, 0]],
      }).lastHiddenState;
      const cut = tf.slice(padded, [0, 0, 0], [1, 4, 8]);
      expect(ref.maxRelDiff(ref.toF64(cut), ref.toF64(short))).toBeLessThan(1e-6);
    });
    m.dispose();
  });

  it('heads: sequence, token, span and masked-LM logits', () => {
    const c = { ...config, id2label: { 0: 'neg', 1: 'neu', 2: 'pos' } };
    const seq = new BertForSequenceClassification(c, { seed: 1 }).eval();
    const tok = new BertForTokenClassification({ ...config, numLabels: 5 }, { seed: 1 }).eval();
    const qa = new BertForQuestionAnswering(config, { seed: 1 }).eval();
    const mlm = new BertForMaskedLM(config, { seed: 1 }).eval();
    ref.tidy(() => {
      const s = seq.forward({ inputIds: ids, attentionMask: mask }).logits;
      expect(s.shape).toEqual([2, 3]);
      // logits = classifier(pooler output).
      const pooled = seq.bert.forward({ inputIds: ids, attentionMask: mask })
        .poolerOutput as tf.Tensor;
      const p = ref.params(seq);
      expect(
        ref.maxRelDiff(
          ref.toF64(s),
          ref.linear(ref.toF64(pooled), 2, p['classifier.weight'], 3, 8, p['classifier.bias']),
        ),
      ).toBeLessThan(1e-6);
      expect(tok.forward({ inputIds: ids }).logits.shape).toEqual([2, 6, 5]);
      const span = qa.forward({ inputIds: ids, attentionMask: mask });
      expect(span.startLogits.shape).toEqual([2, 6]);
      expect(span.endLogits.shape).toEqual([2, 6]);
      const h = ref.toF64(qa.bert.forward({ inputIds: ids, attentionMask: mask }).lastHiddenState);
      const q = ref.params(qa);
      const both = ref.linear(h, 12, q['qa_outputs.weight'], 2, 8, q['qa_outputs.bias']);
      expect(
        ref.maxRelDiff(
          ref.toF64(span.startLogits),
          both.filter((_, i) => i % 2 === 0),
        ),
      ).toBeLessThan(1e-6);
      expect(
        ref.maxRelDiff(
          ref.toF64(span.endLogits),
          both.filter((_, i) => i % 2 === 1),
        ),
      ).toBeLessThan(1e-6);
      // MLM: decoder tied to the word embeddings, own bias.
      const logits = mlm.forward({ inputIds: ids }).logits;
      expect(logits.shape).toEqual([2, 6, 20]);
      const hm = ref.toF64(mlm.bert.forward({ inputIds: ids }).lastHiddenState);
      const mp = ref.params(mlm);
      const tr = ref.layerNorm(
        ref.map(
          ref.linear(
            hm,
            12,
            mp['cls.predictions.transform.dense.weight'],
            8,
            8,
            mp['cls.predictions.transform.dense.bias'],
          ),
          ref.act.gelu,
        ),
        12,
        8,
        mp['cls.predictions.transform.LayerNorm.weight'],
        mp['cls.predictions.transform.LayerNorm.bias'],
        1e-12,
      );
      const want = ref.linear(
        tr,
        12,
        mp['bert.embeddings.word_embeddings.weight'],
        20,
        8,
        mp['cls.predictions.bias'],
      );
      expect(ref.maxRelDiff(ref.toF64(logits), want)).toBeLessThan(TOL);
    });
    for (const m of [seq, tok, qa, mlm]) m.dispose();
  });

  it('rejects bad configs and inputs with named errors', () => {
    expect(() => new BertModel({ hiddenSize: -1 })).toThrow(ValidationError);
    expect(() => new BertModel({ hiddenSize: -1 })).toThrow(/hiddenSize/);
    const m = new BertModel(config, { seed: 1 });
    expect(() => m.forward({ inputIds: [[1, 2], [3]] })).toThrow(ShapeError);
    expect(() => m.forward({ inputIds: ids, attentionMask: [[1, 1]] })).toThrow(/attentionMask/);
    expect(() => m.forward({ inputIds: [Array(11).fill(1)] })).toThrow(
      /max_position_embeddings 10/,
    );
    m.dispose();
  });
});

describe('DistilBERT', () => {
  const config = {
    vocabSize: 20,
    dim: 8,
    nLayers: 2,
    nHeads: 2,
    hiddenDim: 12,
    maxPositionEmbeddings: 10,
  };

  it('DistilBertModel matches the loops (post-LN, eps 1e-12, no token types)', () => {
    const m = new DistilBertModel(config, { seed: 4 }).eval();
    const p = ref.params(m);
    const pos = Array.from({ length: B * T }, (_, i) => i % T);
    let h = ref.layerNorm(
      ref.add(
        gather(p['embeddings.word_embeddings.weight'], 8, ids.flat()),
        gather(p['embeddings.position_embeddings.weight'], 8, pos),
      ),
      B * T,
      8,
      p['embeddings.LayerNorm.weight'],
      p['embeddings.LayerNorm.bias'],
      1e-12,
    );
    const n = B * T;
    for (let l = 0; l < 2; l++) {
      const L = `transformer.layer.${l}.`;
      const lin = (x: Float64Array, name: string, o: number, i: number) =>
        ref.linear(x, n, p[`${L}${name}.weight`], o, i, p[`${L}${name}.bias`]);
      const { ctx } = ref.attention(
        lin(h, 'attention.q_lin', 8, 8),
        lin(h, 'attention.k_lin', 8, 8),
        lin(h, 'attention.v_lin', 8, 8),
        { b: B, t: T, s: T, h: 2, hkv: 2, dh: 4 },
        (b, _i, j) => mask[b][j] === 1,
      );
      const sa = ref.layerNorm(
        ref.add(lin(ctx, 'attention.out_lin', 8, 8), h),
        n,
        8,
        p[`${L}sa_layer_norm.weight`],
        p[`${L}sa_layer_norm.bias`],
        1e-12,
      );
      const ff = lin(ref.map(lin(sa, 'ffn.lin1', 12, 8), ref.act.gelu), 'ffn.lin2', 8, 12);
      h = ref.layerNorm(
        ref.add(ff, sa),
        n,
        8,
        p[`${L}output_layer_norm.weight`],
        p[`${L}output_layer_norm.bias`],
        1e-12,
      );
    }
    ref.tidy(() => {
      const out = m.forward({ inputIds: ids, attentionMask: mask }).lastHiddenState;
      expect(ref.maxRelDiff(ref.toF64(out), h)).toBeLessThan(TOL);
    });
    expect(() => m.forward({ inputIds: ids, tokenTypeIds: ids })).toThrow(/no token type/);
    m.dispose();
  });

  it('heads have Hugging Face names and shapes', () => {
    const seq = new DistilBertForSequenceClassification(
      { ...config, numLabels: 4 },
      { seed: 1 },
    ).eval();
    const tok = new DistilBertForTokenClassification(config, { seed: 1 }).eval();
    const qa = new DistilBertForQuestionAnswering(config, { seed: 1 }).eval();
    const mlm = new DistilBertForMaskedLM(config, { seed: 1 }).eval();
    expect(Object.keys(seq.stateDict()).slice(-4)).toEqual([
      'pre_classifier.weight',
      'pre_classifier.bias',
      'classifier.weight',
      'classifier.bias',
    ]);
    expect(mlm.tiedParameters()).toEqual({
      'vocab_projector.weight': 'distilbert.embeddings.word_embeddings.weight',
    });
    ref.tidy(() => {
      const s = seq.forward({ inputIds: ids });
      expect(s.logits.shape).toEqual([2, 4]);
      // pre_classifier → ReLU → classifier on h[CLS].
      const h = ref.toF64(seq.distilbert.forward({ inputIds: ids }).lastHiddenState);
      const cls = new Float64Array([...h.subarray(0, 8), ...h.subarray(T * 8, T * 8 + 8)]);
      const p = ref.params(seq);
      const want = ref.linear(
        ref.map(
          ref.linear(cls, 2, p['pre_classifier.weight'], 8, 8, p['pre_classifier.bias']),
          ref.act.relu,
        ),
        2,
        p['classifier.weight'],
        4,
        8,
        p['classifier.bias'],
      );
      expect(ref.maxRelDiff(ref.toF64(s.logits), want)).toBeLessThan(1e-5);
      expect(tok.forward({ inputIds: ids }).logits.shape).toEqual([2, 6, 2]);
      expect(qa.forward({ inputIds: ids }).startLogits.shape).toEqual([2, 6]);
      expect(mlm.forward({ inputIds: ids }).logits.shape).toEqual([2, 6, 20]);
    });
    for (const m of [seq, tok, qa, mlm]) m.dispose();
  });
});

describe('GPT-2', () => {
  const config = { vocabSize: 20, nPositions: 12, nEmbd: 8, nLayer: 2, nHead: 2 };

  it('GPT2LMHeadModel (pre-LN, Conv1D [in,out], tied head) matches the loops', () => {
    const m = new GPT2LMHeadModel(config, { seed: 5 }).eval();
    expect(m.getParameter('transformer.h.0.attn.c_attn.weight').shape).toEqual([8, 24]);
    const p = ref.params(m);
    const n = B * T;
    const pos = Array.from({ length: n }, (_, i) => i % T);
    let x = ref.add(
      gather(p['transformer.wte.weight'], 8, ids.flat()),
      gather(p['transformer.wpe.weight'], 8, pos),
    );
    for (let l = 0; l < 2; l++) {
      const L = `transformer.h.${l}.`;
      const c = (v: Float64Array, name: string, i: number, o: number) =>
        ref.conv1d(v, n, p[`${L}${name}.weight`], i, o, p[`${L}${name}.bias`]);
      const ln1 = ref.layerNorm(x, n, 8, p[`${L}ln_1.weight`], p[`${L}ln_1.bias`], 1e-5);
      const qkv = c(ln1, 'attn.c_attn', 8, 24);
      const split = (k: number) =>
        Float64Array.from(
          { length: n * 8 },
          (_, i) => qkv[Math.floor(i / 8) * 24 + k * 8 + (i % 8)],
        );
      const { ctx } = ref.attention(
        split(0),
        split(1),
        split(2),
        { b: B, t: T, s: T, h: 2, hkv: 2, dh: 4 },
        (b, i, j) => j <= i && mask[b][j] === 1,
      );
      x = ref.add(x, c(ctx, 'attn.c_proj', 8, 8));
      const ln2 = ref.layerNorm(x, n, 8, p[`${L}ln_2.weight`], p[`${L}ln_2.bias`], 1e-5);
      x = ref.add(x, c(ref.map(c(ln2, 'mlp.c_fc', 8, 32), ref.act.gelu_new), 'mlp.c_proj', 32, 8));
    }
    const hf = ref.layerNorm(
      x,
      n,
      8,
      p['transformer.ln_f.weight'],
      p['transformer.ln_f.bias'],
      1e-5,
    );
    const logits = ref.linear(hf, n, p['transformer.wte.weight'], 20, 8);
    ref.tidy(() => {
      const out = m.forward({ inputIds: ids, attentionMask: mask }).logits;
      expect(ref.maxRelDiff(ref.toF64(out), logits)).toBeLessThan(TOL);
    });
    m.dispose();
  });
});

describe('Llama', () => {
  const config = {
    vocabSize: 20,
    hiddenSize: 16,
    intermediateSize: 24,
    numHiddenLayers: 2,
    numAttentionHeads: 4,
    numKeyValueHeads: 2,
    maxPositionEmbeddings: 12,
    rmsNormEps: 1e-5,
  };

  it('LlamaForCausalLM (RMSNorm, RoPE, GQA, SwiGLU, untied head) matches the loops', () => {
    const m = new LlamaForCausalLM(config, { seed: 6 }).eval();
    expect(m.tiedParameters()).toEqual({});
    const p = ref.params(m);
    const n = B * T;
    const pos = [0, 1, 2, 3, 4, 5];
    let x = gather(p['model.embed_tokens.weight'], 16, ids.flat());
    for (let l = 0; l < 2; l++) {
      const L = `model.layers.${l}.`;
      const h = ref.rmsNorm(x, n, 16, p[`${L}input_layernorm.weight`], 1e-5);
      const q = ref.rope(
        ref.linear(h, n, p[`${L}self_attn.q_proj.weight`], 16, 16),
        B,
        T,
        4,
        4,
        pos,
      );
      const k = ref.rope(
        ref.linear(h, n, p[`${L}self_attn.k_proj.weight`], 8, 16),
        B,
        T,
        2,
        4,
        pos,
      );
      const v = ref.linear(h, n, p[`${L}self_attn.v_proj.weight`], 8, 16);
      const { ctx } = ref.attention(
        q,
        k,
        v,
        { b: B, t: T, s: T, h: 4, hkv: 2, dh: 4 },
        (b, i, j) => j <= i && mask[b][j] === 1,
      );
      x = ref.add(x, ref.linear(ctx, n, p[`${L}self_attn.o_proj.weight`], 16, 16));
      const h2 = ref.rmsNorm(x, n, 16, p[`${L}post_attention_layernorm.weight`], 1e-5);
      const g = ref.map(ref.linear(h2, n, p[`${L}mlp.gate_proj.weight`], 24, 16), ref.act.silu);
      const u = ref.linear(h2, n, p[`${L}mlp.up_proj.weight`], 24, 16);
      x = ref.add(
        x,
        ref.linear(
          g.map((a, i) => a * u[i]),
          n,
          p[`${L}mlp.down_proj.weight`],
          16,
          24,
        ),
      );
    }
    const logits = ref.linear(
      ref.rmsNorm(x, n, 16, p['model.norm.weight'], 1e-5),
      n,
      p['lm_head.weight'],
      20,
      16,
    );
    ref.tidy(() => {
      const out = m.forward({ inputIds: ids, attentionMask: mask }).logits;
      expect(ref.maxRelDiff(ref.toF64(out), logits)).toBeLessThan(TOL);
    });
    m.dispose();
  });

  it('a tied Llama shares lm_head.weight with model.embed_tokens.weight', () => {
    const m = new LlamaForCausalLM({ ...config, tieWordEmbeddings: true });
    expect(m.tiedParameters()).toEqual({ 'lm_head.weight': 'model.embed_tokens.weight' });
    m.dispose();
  });
});

describe('KV cache', () => {
  /** Logits of the whole sequence vs prefix + one token at a time through the cache. */
  function compare(m: CausalLanguageModel, seq: number[][]) {
    const t = seq[0].length;
    const full = ref.tidy(() => ref.toF64(m.forward({ inputIds: seq }).logits));
    let cache: KVCache | undefined;
    const parts: Float64Array[] = [];
    const steps = [[0, 3], ...Array.from({ length: t - 3 }, (_, i) => [3 + i, 4 + i])];
    for (const [a, b] of steps) {
      const out = ref.tidy(() => {
        const r = m.forward({ inputIds: seq.map((r) => r.slice(a, b)), cache, useCache: true });
        return { logits: r.logits, cache: r.cache as KVCache };
      });
      disposeCache(cache);
      cache = out.cache;
      expect(cache[0].key.shape[2]).toBe(b);
      parts.push(ref.toF64(out.logits));
      out.logits.dispose();
    }
    disposeCache(cache);
    // Reassemble [B, T, V] from the per-step [B, steps, V] pieces.
    const v = m.vocabSize;
    const got = new Float64Array(full.length);
    let start = 0;
    steps.forEach(([a, b], s) => {
      const w = b - a;
      for (let r = 0; r < seq.length; r++) {
        got.set(parts[s].subarray(r * w * v, (r + 1) * w * v), (r * t + start) * v);
      }
      start += w;
    });
    return ref.maxRelDiff(got, full);
  }

  it('cached and uncached logits agree for GPT-2 and Llama (GQA) within 1e-5', () => {
    const before = tf.memory().numTensors;
    const g = new GPT2LMHeadModel(
      { vocabSize: 20, nPositions: 12, nEmbd: 8, nLayer: 2, nHead: 2 },
      { seed: 1 },
    ).eval();
    const l = new LlamaForCausalLM(
      {
        vocabSize: 20,
        hiddenSize: 16,
        intermediateSize: 24,
        numHiddenLayers: 2,
        numAttentionHeads: 4,
        numKeyValueHeads: 1,
        maxPositionEmbeddings: 12,
      },
      { seed: 1 },
    ).eval();
    const seq = [
      [1, 5, 9, 2, 7, 3, 3, 8],
      [1, 4, 4, 6, 0, 2, 9, 1],
    ];
    expect(compare(g, seq)).toBeLessThan(1e-5);
    expect(compare(l, seq)).toBeLessThan(1e-5);
    expect(() => l.forward({ inputIds: [Array(13).fill(1)] })).toThrow(
      /exceed the model's 12 positions/,
    );
    g.dispose();
    l.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('cpu and wasm agree', () => {
  it('BERT (erf GELU) and GPT-2 (tanh GELU) logits and gradients match across backends (1e-4)', async () => {
    const models = [
      new BertForMaskedLM(
        {
          vocabSize: 20,
          hiddenSize: 8,
          numHiddenLayers: 2,
          numAttentionHeads: 2,
          intermediateSize: 12,
        },
        { seed: 8 },
      ),
      new GPT2LMHeadModel(
        { vocabSize: 20, nPositions: 12, nEmbd: 8, nLayer: 2, nHead: 2 },
        { seed: 8 },
      ),
    ];
    const run = () =>
      models.map((m) => {
        m.eval();
        const vars = m.parameters();
        return ref.tidy(() => {
          const { value, grads } = tf.variableGrads(
            () =>
              tf.mean(
                tf.square(m.forward({ inputIds: ids, attentionMask: mask }).logits),
              ) as tf.Scalar,
            vars,
          );
          void value;
          return {
            logits: ref.toF64(m.forward({ inputIds: ids, attentionMask: mask }).logits),
            grads: vars.map((v) => ref.toF64(grads[v.name])),
          };
        });
      });
    await initBackend({ backend: 'cpu' });
    const cpu = run();
    await initBackend({ backend: 'wasm' });
    const wasm = run();
    await initBackend({ backend: 'cpu' });
    for (let i = 0; i < models.length; i++) {
      expect(ref.maxRelDiff(wasm[i].logits, cpu[i].logits)).toBeLessThan(1e-4);
      for (const [j, g] of cpu[i].grads.entries()) {
        expect(ref.maxRelDiff(wasm[i].grads[j], g)).toBeLessThan(1e-4);
      }
      models[i].dispose();
    }
  });
});
