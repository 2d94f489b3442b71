import { initBackend, NotFoundError, Rng, ShapeError, ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BertForMaskedLM,
  BertForSequenceClassification,
  Dropout,
  GPT2LMHeadModel,
  Linear,
  Module,
  matchesName,
} from '../src/index.js';
import { tidy } from './reference.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const tinyBert = {
  vocabSize: 40,
  hiddenSize: 8,
  numHiddenLayers: 2,
  numAttentionHeads: 2,
  intermediateSize: 16,
  maxPositionEmbeddings: 16,
};

/** A user-defined module, to check the base class on its own. */
class Scaled extends Module {
  readonly inner: Linear;
  constructor(rng: Rng) {
    super();
    this.inner = this.addModule('inner', new Linear(3, 2, { rng }));
    this.addParameter('scale', { data: Float32Array.of(2), shape: [1] });
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tidy(() => tf.mul(this.inner.forward(x), this.getParameter('scale')));
  }
}

describe('names', () => {
  it('namedParameters gives Hugging Face dotted names in registration order', () => {
    const m = new BertForSequenceClassification(tinyBert, { seed: 1 });
    const names = m.namedParameters().map(([n]) => n);
    expect(names.slice(0, 5)).toEqual([
      'bert.embeddings.word_embeddings.weight',
      'bert.embeddings.position_embeddings.weight',
      'bert.embeddings.token_type_embeddings.weight',
      'bert.embeddings.LayerNorm.weight',
      'bert.embeddings.LayerNorm.bias',
    ]);
    expect(names).toContain('bert.encoder.layer.1.attention.self.query.weight');
    expect(names).toContain('bert.encoder.layer.0.attention.output.LayerNorm.bias');
    expect(names).toContain('bert.encoder.layer.1.output.dense.weight');
    expect(names.slice(-4)).toEqual([
      'bert.pooler.dense.weight',
      'bert.pooler.dense.bias',
      'classifier.weight',
      'classifier.bias',
    ]);
    expect(m.parameters()).toHaveLength(names.length);
    expect(m.getParameter('bert.encoder.layer.1.attention.self.query.weight').shape).toEqual([
      8, 8,
    ]);
    m.dispose();
  });

  it('a tied weight is listed once and its alias is reported', () => {
    const m = new GPT2LMHeadModel(
      { vocabSize: 30, nPositions: 8, nEmbd: 8, nLayer: 1, nHead: 2 },
      { seed: 1 },
    );
    const names = m.namedParameters().map(([n]) => n);
    expect(names).not.toContain('lm_head.weight');
    expect(m.tiedParameters()).toEqual({ 'lm_head.weight': 'transformer.wte.weight' });
    expect(m.getParameter('lm_head.weight')).toBe(m.getParameter('transformer.wte.weight'));
    // Counted once: 30·8 (wte) + 8·8 (wpe) + one block + ln_f.
    const block = 2 * 8 + (8 * 24 + 24) + (8 * 8 + 8) + 2 * 8 + (8 * 32 + 32) + (32 * 8 + 8);
    expect(m.parameterCount()).toBe(30 * 8 + 8 * 8 + block + 2 * 8);
    m.dispose();
  });

  it('unknown names fail with suggestions', () => {
    const m = new BertForSequenceClassification(tinyBert, { seed: 1 });
    expect(() => m.getModule('bert.encoder.layers.0')).toThrow(NotFoundError);
    expect(() => m.getModule('bert.encoder.layers.0')).toThrow(
      /Did you mean "bert\.encoder\.layer\.0"/,
    );
    expect(() => m.getParameter('classifier.weights')).toThrow(/Did you mean "classifier\.weight"/);
    m.dispose();
  });
});

describe('glob and RegExp patterns', () => {
  it('* stays in one segment, ** crosses segments, a plain path selects its subtree', () => {
    expect(
      matchesName('encoder.layer.3.attention.self.query.weight', 'encoder.layer.*.attention.**'),
    ).toBe(true);
    expect(
      matchesName('encoder.layer.3.attention.self.query.weight', 'encoder.*.attention.**'),
    ).toBe(false);
    expect(matchesName('encoder.layer.3.output.dense.bias', '**.bias')).toBe(true);
    expect(matchesName('bias', '**.bias')).toBe(true);
    expect(matchesName('embeddings.LayerNorm.weight', 'embeddings')).toBe(true);
    expect(matchesName('embeddings2.weight', 'embeddings')).toBe(false);
    expect(matchesName('encoder.layer.10.x', 'encoder.layer.1')).toBe(false);
    expect(matchesName('encoder.layer.1.x', 'encoder.layer.?.x')).toBe(true);
    expect(matchesName('a.query.weight', /query\.weight$/)).toBe(true);
    expect(matchesName('embeddings.LayerNorm', 'embeddings', true)).toBe(false);
  });
});

describe('freeze, unfreeze, counts', () => {
  it('freezes by pattern and counts trainable weights', () => {
    const m = new BertForSequenceClassification(tinyBert, { seed: 1 });
    const total = m.parameterCount();
    expect(m.trainableParameterCount()).toBe(total);
    const n = m.freeze('bert');
    expect(n).toBe(m.namedParameters().filter(([k]) => k.startsWith('bert.')).length);
    expect(m.trainableParameterCount()).toBe(8 * 2 + 2);
    expect(Object.keys(m.trainableParameters())).toEqual(['classifier.weight', 'classifier.bias']);
    m.unfreeze([/LayerNorm/, 'bert.encoder.layer.1.**.bias']);
    const trainable = Object.keys(m.trainableParameters());
    expect(trainable).toContain('bert.embeddings.LayerNorm.weight');
    expect(trainable).toContain('bert.encoder.layer.1.attention.self.key.bias');
    expect(trainable).not.toContain('bert.encoder.layer.0.attention.self.key.bias');
    expect(m.getParameter('bert.pooler.dense.weight').trainable).toBe(false);
    expect(() => m.freeze('bert.decoder')).toThrow(NotFoundError);
    m.unfreeze();
    expect(m.trainableParameterCount()).toBe(total);
    m.dispose();
  });

  it('a frozen parameter gets no gradient from tf.variableGrads', () => {
    const rng = new Rng(2);
    const m = new Scaled(rng);
    m.freeze('inner.weight');
    const { value, grads } = tf.variableGrads(
      () => m.forward(tf.ones([1, 3])).sum() as tf.Scalar,
      m.parameters({ trainableOnly: true }),
    );
    expect(Object.keys(grads)).toHaveLength(2);
    expect(grads[m.getParameter('inner.weight').name]).toBeUndefined();
    value.dispose();
    for (const g of Object.values(grads)) g.dispose();
    m.dispose();
  });
});

describe('train / eval', () => {
  it('propagates to every descendant', () => {
    const m = new BertForSequenceClassification(tinyBert, { seed: 1 });
    expect(m.namedModules().every(([, x]) => x.training)).toBe(true);
    m.eval();
    expect(m.namedModules().every(([, x]) => !x.training)).toBe(true);
    m.train();
    expect(m.getModule('bert.encoder.layer.0.attention.self.dropout').training).toBe(true);
    m.dispose();
  });

  it('dropout in training is seeded per model seed; eval output does not depend on it', () => {
    const run = (seed: number, train: boolean) => {
      const m = new BertForSequenceClassification(
        { ...tinyBert, hiddenDropoutProb: 0.5 },
        { seed },
      );
      // Same weights for both seeds, so only the dropout streams differ.
      const ref = new BertForSequenceClassification(tinyBert, { seed: 1 });
      m.loadStateDict(ref.stateDict());
      ref.dispose();
      m.train(train);
      const out = tidy(() => Array.from(m.forward({ inputIds: [[1, 2, 3]] }).logits.dataSync()));
      m.dispose();
      return out;
    };
    expect(run(3, true)).toEqual(run(3, true));
    expect(run(3, true)).not.toEqual(run(4, true));
    expect(run(3, false)).toEqual(run(4, false));
  });
});

describe('getModule / replaceModule', () => {
  it('swaps a Linear by name; the parent and the forward pass use the new one', () => {
    const rng = new Rng(3);
    const m = new BertForSequenceClassification(tinyBert, { seed: 1 }).eval();
    const name = 'bert.encoder.layer.0.attention.self.query';
    const old = m.getModule<Linear>(name);
    expect(old).toBeInstanceOf(Linear);
    const before = tidy(() => Array.from(m.forward({ inputIds: [[1, 2, 3]] }).logits.dataSync()));

    class Doubled extends Module {
      constructor(readonly base: Linear) {
        super();
        this.addModule('base', base);
      }
      forward(x: tf.Tensor) {
        return tidy(() => tf.mul(this.base.forward(x), 2));
      }
    }
    const replaced = m.replaceModule(name, new Doubled(old));
    expect(replaced).toBe(old);
    expect(m.getModule(name)).toBeInstanceOf(Doubled);
    expect(
      (m.getModule('bert.encoder.layer.0.attention.self') as unknown as { query: Module }).query,
    ).toBeInstanceOf(Doubled);
    expect(m.namedParameters().map(([n]) => n)).toContain(`${name}.base.weight`);
    const after = tidy(() => Array.from(m.forward({ inputIds: [[1, 2, 3]] }).logits.dataSync()));
    expect(after).not.toEqual(before);
    // Putting the original back restores the output exactly.
    m.replaceModule(name, old);
    const back = tidy(() => Array.from(m.forward({ inputIds: [[1, 2, 3]] }).logits.dataSync()));
    expect(back).toEqual(before);
    expect(() => m.replaceModule('bert.encoder.layer.9.attention', old)).toThrow(NotFoundError);
    // ModuleList entries can be replaced too.
    const layer1 = m.getModule('bert.encoder.layer.1');
    m.replaceModule('bert.encoder.layer.0', layer1);
    expect(m.getModule('bert.encoder.layer.0')).toBe(layer1);
    void rng;
    m.dispose();
  });
});

describe('stateDict / loadStateDict', () => {
  it('round-trips between two models and reports by name', () => {
    const a = new BertForMaskedLM(tinyBert, { seed: 1 });
    const b = new BertForMaskedLM(tinyBert, { seed: 2 });
    const sd = a.stateDict();
    expect(Object.keys(sd)).not.toContain('cls.predictions.decoder.weight');
    expect(b.loadStateDict(sd)).toEqual({ missing: [], unexpected: [] });
    for (const [k, v] of Object.entries(b.stateDict())) {
      expect(Array.from(v.dataSync())).toEqual(Array.from(sd[k].dataSync()));
    }
    a.dispose();
    b.dispose();
  });

  it('strict loads reject missing and unexpected keys by name and change nothing', () => {
    const a = new BertForMaskedLM(tinyBert, { seed: 1 });
    const b = new BertForMaskedLM(tinyBert, { seed: 2 });
    const before = Array.from(b.getParameter('cls.predictions.bias').dataSync());
    const { 'bert.encoder.layer.1.output.dense.bias': _dropped, ...partial } = a.stateDict();
    let err: unknown;
    try {
      b.loadStateDict({
        ...partial,
        'bert.encoder.layer.1.output.dense.bais': a.getParameter('cls.predictions.bias'),
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect(String(err)).toContain('missing keys: "bert.encoder.layer.1.output.dense.bias"');
    expect(String(err)).toContain('unexpected keys: "bert.encoder.layer.1.output.dense.bais"');
    expect(String(err)).toContain('Did you mean "bert.encoder.layer.1.output.dense.bias"');
    expect((err as ValidationError).issues.map((i) => i.path)).toEqual([
      'bert.encoder.layer.1.output.dense.bias',
      'bert.encoder.layer.1.output.dense.bais',
    ]);
    expect(Array.from(b.getParameter('cls.predictions.bias').dataSync())).toEqual(before);

    const report = b.loadStateDict({ ...partial, extra: tf.zeros([1]) }, { strict: false });
    expect(report).toEqual({
      missing: ['bert.encoder.layer.1.output.dense.bias'],
      unexpected: ['extra'],
    });
    a.dispose();
    b.dispose();
  });

  it('a wrong shape is a ShapeError naming the key, even when not strict', () => {
    const b = new BertForMaskedLM(tinyBert, { seed: 2 });
    const bad = {
      ...b.stateDict(),
      'bert.embeddings.position_embeddings.weight': tf.zeros([17, 8]),
    };
    expect(() => b.loadStateDict(bad)).toThrow(ShapeError);
    expect(() => b.loadStateDict(bad, { strict: false })).toThrow(
      /state dict key "bert\.embeddings\.position_embeddings\.weight": expected shape \[16, 8\], got \[17, 8\]/,
    );
    b.dispose();
  });

  it('accepts StoredTensors and tied aliases, and casts int32 data', () => {
    const m = new Scaled(new Rng(4));
    m.loadStateDict(
      { scale: { dtype: 'int32', shape: [1], data: Int32Array.of(5) } },
      { strict: false },
    );
    expect(m.getParameter('scale').dataSync()[0]).toBe(5);
    const g = new GPT2LMHeadModel(
      { vocabSize: 30, nPositions: 8, nEmbd: 8, nLayer: 1, nHead: 2 },
      { seed: 1 },
    );
    const { 'transformer.wte.weight': wte, ...rest } = g.stateDict();
    const ones = tf.onesLike(wte);
    g.loadStateDict({ ...rest, 'lm_head.weight': ones });
    expect(g.getParameter('transformer.wte.weight').dataSync()[0]).toBe(1);
    ones.dispose();
    m.dispose();
    g.dispose();
  });
});

describe('forward hooks', () => {
  it('see every call, and are removed without trace', () => {
    const m = new Scaled(new Rng(5));
    const proto = Object.getPrototypeOf(m.inner).forward;
    const seen: number[][] = [];
    const remove = m.inner.registerForwardHook((_mod, args, out) => {
      seen.push([(args[0] as tf.Tensor).shape[0], ...(out as tf.Tensor).shape]);
    });
    tidy(() => m.forward(tf.ones([4, 3])));
    expect(seen).toEqual([[4, 4, 2]]);
    remove();
    expect(m.inner.forward).toBe(proto);
    tidy(() => m.forward(tf.ones([4, 3])));
    expect(seen).toHaveLength(1);
    m.dispose();
  });
});

describe('dispose', () => {
  it('releases every variable', () => {
    const before = tf.memory().numTensors;
    const m = new BertForMaskedLM(tinyBert, { seed: 1 });
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad child names', () => {
    class Bad extends Module {
      constructor() {
        super();
        this.addModule('a.b', new Dropout(0));
      }
    }
    expect(() => new Bad()).toThrow(/without dots/);
  });
});
