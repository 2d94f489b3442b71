import { initBackend, NotFoundError, ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BertModel,
  DistilBertModel,
  GPT2LMHeadModel,
  LlamaForCausalLM,
  MASK_VALUE,
  withTaps,
} from '../src/index.js';
import { tidy } from './reference.js';

// A 4-layer encoder: B=2, T=5, d=12, H=3 (dh=4).
const B = 2;
const T = 5;
const config = {
  vocabSize: 30,
  hiddenSize: 12,
  numHiddenLayers: 4,
  numAttentionHeads: 3,
  intermediateSize: 24,
  maxPositionEmbeddings: 16,
};
const inputIds = [
  [2, 5, 7, 9, 3],
  [2, 8, 4, 0, 0],
];
const attentionMask = [
  [1, 1, 1, 1, 1],
  [1, 1, 1, 0, 0],
];

let bert: BertModel;
beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
  bert = new BertModel(config, { seed: 7 }).eval();
});
afterAll(() => bert.dispose());

describe('taps on a 4-layer encoder', () => {
  it('return 5 hidden states [B,T,d] and 4 attention maps [B,H,T,T] of the documented shapes', () => {
    tidy(() => {
      const { output, taps } = withTaps(
        bert,
        { hidden: true, attentions: true, scores: true, values: true, queries: true, keys: true },
        () => bert.forward({ inputIds, attentionMask }),
      );
      expect(taps.hidden).toHaveLength(5);
      for (const h of taps.hidden) expect(h.shape).toEqual([B, T, 12]);
      expect(taps.attentions).toHaveLength(4);
      for (const a of taps.attentions) expect(a.shape).toEqual([B, 3, T, T]);
      expect(taps.scores.map((s) => s.shape)).toEqual(Array(4).fill([B, 3, T, T]));
      expect(taps.values.map((s) => s.shape)).toEqual(Array(4).fill([B, 3, T, 4]));
      expect(taps.queries.map((s) => s.shape)).toEqual(Array(4).fill([B, 3, T, 4]));
      expect(taps.keys.map((s) => s.shape)).toEqual(Array(4).fill([B, 3, T, 4]));
      expect(taps.sources.attentions).toEqual(
        [0, 1, 2, 3].map((i) => `encoder.layer.${i}.attention.self`),
      );
      expect(taps.sources.hidden).toEqual(Array(5).fill('encoder'));
      // The last hidden state is the model's output.
      expect(Array.from(taps.hidden[4].dataSync())).toEqual(
        Array.from(output.lastHiddenState.dataSync()),
      );
      // The first is the embeddings output.
      const emb = bert.embeddings.forward(tf.tensor2d(inputIds, [2, 5], 'int32'));
      expect(Array.from(taps.hidden[0].dataSync())).toEqual(Array.from(emb.dataSync()));
    });
  });

  it('attention rows sum to 1, padded keys get 0 probability and MASK_VALUE added to their scores', () => {
    tidy(() => {
      const { taps } = withTaps(bert, { attentions: true, scores: true }, () =>
        bert.forward({ inputIds, attentionMask }),
      );
      const probs = taps.attentions[2].arraySync() as number[][][][];
      const scores = taps.scores[2].arraySync() as number[][][][];
      for (let b = 0; b < B; b++) {
        for (let h = 0; h < 3; h++) {
          for (let i = 0; i < T; i++) {
            expect(probs[b][h][i].reduce((a, c) => a + c, 0)).toBeCloseTo(1, 5);
            for (let j = 0; j < T; j++) {
              const masked = attentionMask[b][j] === 0;
              if (masked) {
                expect(probs[b][h][i][j]).toBe(0);
                expect(scores[b][h][i][j]).toBeLessThan(MASK_VALUE + 100);
              } else {
                expect(scores[b][h][i][j]).toBeGreaterThan(-100);
              }
            }
          }
        }
      }
      // softmax(scores) = attentions.
      const re = tf.softmax(taps.scores[2]);
      expect(Math.max(...tf.abs(tf.sub(re, taps.attentions[2])).dataSync())).toBeLessThan(1e-6);
    });
  });

  it('cost nothing when not asked for: same kernels and new tensors as a plain forward', async () => {
    const run = () => bert.forward({ inputIds, attentionMask }).lastHiddenState;
    // tf.profile reuses one result object: copy what each call reports.
    const profile = async (f: () => tf.TensorContainer) => {
      const p = await tf.profile(f);
      const out = { kernelNames: p.kernels.map((k) => k.name), newTensors: p.newTensors };
      tf.dispose(p.result as tf.TensorContainer);
      return out;
    };
    const plain = await profile(() => tidy(run));
    const noTaps = await profile(() => tidy(() => withTaps(bert, {}, run).output));
    const other = new BertModel(config, { seed: 8 }).eval();
    // Taps on another model record nothing from this one.
    const elsewhere = await profile(() =>
      tidy(() => withTaps(other, { hidden: true, attentions: true }, run).output),
    );
    other.dispose();
    expect(plain.newTensors).toBe(1);
    expect(plain.kernelNames.length).toBeGreaterThan(200);
    expect(noTaps.kernelNames).toEqual(plain.kernelNames);
    expect(noTaps.newTensors).toBe(plain.newTensors);
    expect(elsewhere.kernelNames).toEqual(plain.kernelNames);
    expect(elsewhere.newTensors).toBe(plain.newTensors);
    // Asked for: no extra compute, only the kept taps (an Identity clone each).
    const on = await profile(() =>
      tidy(() => {
        const { output, taps } = withTaps(bert, { hidden: true, attentions: true }, run);
        return [output, ...taps.hidden, ...taps.attentions];
      }),
    );
    const compute = (names: string[]) => names.filter((k) => k !== 'Identity');
    expect(compute(on.kernelNames)).toEqual(compute(plain.kernelNames));
    expect(on.newTensors).toBe(plain.newTensors + 9);
  });

  it('tapped tensors live in the caller scope: nothing leaks', () => {
    const before = tf.memory().numTensors;
    tidy(() => {
      withTaps(bert, { hidden: true, attentions: true, scores: true, values: true }, () =>
        bert.forward({ inputIds, attentionMask }),
      );
    });
    expect(tf.memory().numTensors).toBe(before);
    const { output, taps } = withTaps(bert, { hidden: true }, () => bert.forward({ inputIds }));
    expect(tf.memory().numTensors).toBe(before + 5 + 2);
    taps.dispose();
    output.lastHiddenState.dispose();
    output.poolerOutput?.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('work inside tf.variableGrads: a loss on taps backpropagates to the parameters', () => {
    const vars = bert.parameters();
    const loss = () =>
      withTaps(bert, { hidden: true, attentions: true }, () =>
        bert.forward({ inputIds, attentionMask }),
      ).taps;
    const { value, grads } = tf.variableGrads(() => {
      const taps = loss();
      return tf.add(
        tf.sum(tf.square(taps.hidden[2])),
        tf.sum(tf.square(taps.attentions[1])),
      ) as tf.Scalar;
    }, vars);
    const q0 = bert.getParameter('encoder.layer.0.attention.self.query.weight');
    const q3 = bert.getParameter('encoder.layer.3.attention.self.query.weight');
    // Layer 0 feeds hidden[2] and attentions[1]; layer 3 feeds neither.
    expect(tf.sum(tf.abs(grads[q0.name])).dataSync()[0]).toBeGreaterThan(0);
    expect(grads[q3.name]).toBeUndefined();
    // Finite difference on one weight (float32: step 1e-2, tolerance 5%).
    const g = grads[q0.name].dataSync()[5];
    const f = (delta: number) =>
      tidy(() => {
        const w = q0.clone();
        const bumped = w.dataSync().slice();
        bumped[5] += delta;
        q0.assign(tf.tensor(bumped, q0.shape));
        const t = loss();
        const v = tf
          .add(tf.sum(tf.square(t.hidden[2])), tf.sum(tf.square(t.attentions[1])))
          .dataSync()[0];
        q0.assign(w);
        return v;
      });
    const fd = (f(1e-2) - f(-1e-2)) / 2e-2;
    expect(Math.abs(fd - g)).toBeLessThan(0.05 * Math.abs(g) + 1e-3);
    value.dispose();
    for (const t of Object.values(grads)) t.dispose();
  });

  it('capture any module output by name, and reject bad requests', () => {
    tidy(() => {
      const { taps } = withTaps(bert, { outputs: ['encoder.layer.*.output.dense', 'pooler'] }, () =>
        bert.forward({ inputIds }),
      );
      expect(Object.keys(taps.outputs)).toEqual([
        'encoder.layer.0.output.dense',
        'encoder.layer.1.output.dense',
        'encoder.layer.2.output.dense',
        'encoder.layer.3.output.dense',
        'pooler',
      ]);
      expect(taps.outputs['encoder.layer.3.output.dense'][0].shape).toEqual([2, 5, 12]);
      expect(taps.outputs.pooler[0].shape).toEqual([2, 12]);
    });
    // The hooks are gone afterwards.
    expect(Object.hasOwn(bert.getModule('pooler'), 'forward')).toBe(false);
    expect(() => withTaps(bert, { outputs: 'encoder.layers.0' }, () => 0)).toThrow(NotFoundError);
    expect(() =>
      withTaps(bert, { outputs: 'encoder.layer.0' }, () => bert.forward({ inputIds })),
    ).not.toThrow();
    expect(() =>
      withTaps(bert, { outputs: 'encoder' }, () => bert.forward({ inputIds })),
    ).not.toThrow();
    expect(() => withTaps(bert, {}, (() => Promise.resolve(1)) as unknown as () => number)).toThrow(
      ValidationError,
    );
  });
});

describe('taps on other models', () => {
  it('DistilBERT: L+1 hidden states and L attention maps', () => {
    const m = new DistilBertModel({
      vocabSize: 30,
      dim: 8,
      nLayers: 3,
      nHeads: 2,
      hiddenDim: 16,
      maxPositionEmbeddings: 8,
    });
    m.eval();
    tidy(() => {
      const { taps } = withTaps(m, { hidden: true, attentions: true }, () =>
        m.forward({ inputIds }),
      );
      expect(taps.hidden.map((h) => h.shape)).toEqual(Array(4).fill([2, 5, 8]));
      expect(taps.attentions.map((h) => h.shape)).toEqual(Array(3).fill([2, 2, 5, 5]));
    });
    m.dispose();
  });

  it('GPT-2 and Llama (GQA): causal maps, last hidden state after the final norm, values with Hkv heads', () => {
    const g = new GPT2LMHeadModel(
      { vocabSize: 30, nPositions: 8, nEmbd: 8, nLayer: 2, nHead: 2 },
      { seed: 1 },
    ).eval();
    const l = new LlamaForCausalLM(
      {
        vocabSize: 30,
        hiddenSize: 8,
        intermediateSize: 12,
        numHiddenLayers: 2,
        numAttentionHeads: 4,
        numKeyValueHeads: 2,
        maxPositionEmbeddings: 8,
      },
      { seed: 1 },
    ).eval();
    tidy(() => {
      for (const m of [g, l]) {
        const { output, taps } = withTaps(m, { hidden: true, attentions: true, values: true }, () =>
          m.forward({ inputIds }),
        );
        expect(taps.hidden).toHaveLength(3);
        expect(Array.from(taps.hidden[2].dataSync())).toEqual(
          Array.from(output.lastHiddenState.dataSync()),
        );
        const a = taps.attentions[0].arraySync() as number[][][][];
        for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) expect(a[1][0][i][j]).toBe(0);
        expect(taps.values[0].shape).toEqual(m === l ? [2, 2, 5, 2] : [2, 2, 5, 4]);
      }
    });
    g.dispose();
    l.dispose();
  });

  it('a teacher and a student in one fn are recorded separately', () => {
    const student = new BertModel({ ...config, numHiddenLayers: 2 }, { seed: 3 }).eval();
    tidy(() => {
      const outer = withTaps(bert, { hidden: true }, () => {
        const inner = withTaps(student, { hidden: true }, () => student.forward({ inputIds }));
        expect(inner.taps.hidden).toHaveLength(3);
        return bert.forward({ inputIds });
      });
      expect(outer.taps.hidden).toHaveLength(5);
    });
    student.dispose();
  });
});
