import { initBackend, NotFoundError, ValidationError } from '@kd/core';
import { BertForSequenceClassification, type Linear, LlamaForCausalLM } from '@kd/nn';
import { createOptimizer } from '@kd/optim';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  addWeightedAdapter,
  allLinearTargets,
  isTargetModule,
  type LoraLinear,
  LoraModel,
  loadAdapter,
  loraConfig,
  loraPlusGroups,
  saveAdapter,
} from '../src/index.js';
import { TinyEncoder, TinyLm } from './helpers/models.js';
import { add, flat, fromFlat, maxAbsDiff, mm, randomValues } from './helpers/plain.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const tinyBert = () =>
  new BertForSequenceClassification(
    {
      vocabSize: 50,
      hiddenSize: 8,
      numHiddenLayers: 3,
      numAttentionHeads: 2,
      intermediateSize: 16,
      maxPositionEmbeddings: 16,
      numLabels: 2,
    },
    { seed: 1 },
  );
const ids = [
  [2, 5, 7, 9, 3, 0],
  [2, 11, 12, 3, 0, 0],
];
const mask = ids.map((r) => r.map((v) => (v === 0 ? 0 : 1)));
const logits = (m: { forward(i: unknown): { logits: tf.Tensor } }) =>
  tf.tidy(() => m.forward({ inputIds: ids, attentionMask: mask }).logits.dataSync());

describe("PEFT's target rules", () => {
  const names = [
    'bert.encoder.layer.0.attention.self.query',
    'bert.encoder.layer.1.attention.self.query',
    'bert.encoder.layer.10.attention.self.query',
    'bert.encoder.layer.1.attention.output.dense',
    'bert.pooler.dense',
    'query',
    'myquery',
  ];
  const pick = (over: Parameters<typeof loraConfig>[0]) => {
    const c = loraConfig(over);
    return names.filter((n) => isTargetModule(c, n));
  };

  it('list: exact name or ".<entry>" suffix (not a bare substring)', () => {
    expect(pick({ targetModules: ['query'] })).toEqual(names.slice(0, 3).concat('query'));
    expect(pick({ targetModules: ['self.query', 'pooler.dense'] })).toEqual([
      ...names.slice(0, 3),
      'bert.pooler.dense',
    ]);
  });
  it('string: a regex that must match the whole name', () => {
    expect(pick({ targetModules: '.*layer\\.1\\..*' })).toEqual([names[1], names[3]]);
    expect(pick({ targetModules: 'query' })).toEqual(['query']);
  });
  it('exclude_modules (list suffix / regex) wins', () => {
    expect(
      pick({ targetModules: ['query'], excludeModules: ['layer.1.attention.self.query'] }),
    ).toEqual([names[0], names[2], 'query']);
    expect(pick({ targetModules: ['query'], excludeModules: '.*\\.10\\..*' })).toEqual([
      names[0],
      names[1],
      'query',
    ]);
  });
  it('layers_to_transform: by index, with or without layers_pattern; exact names bypass it (as PEFT)', () => {
    expect(pick({ targetModules: ['query'], layersToTransform: [1, 10] })).toEqual([
      names[1],
      names[2],
      'query',
    ]);
    expect(
      pick({ targetModules: ['query'], layersToTransform: 0, layersPattern: 'layer' }),
    ).toEqual([names[0], 'query']);
    expect(
      pick({ targetModules: ['query'], layersToTransform: [0], layersPattern: ['h', 'blocks'] }),
    ).toEqual(['query']);
  });
  it('never inside modules_to_save', () => {
    expect(pick({ targetModules: ['dense'], modulesToSave: ['pooler'] })).toEqual([names[3]]);
  });
  it('all-linear leaves out the output head: lm_head for LMs, classifier for SEQ_CLS', () => {
    const lm = new TinyLm();
    expect(allLinearTargets(lm, null)).toEqual(['proj']);
    const bert = tinyBert();
    const t = allLinearTargets(bert, 'SEQ_CLS');
    expect(t).not.toContain('classifier');
    expect(t).toContain('bert.pooler.dense');
    expect(t).toHaveLength(3 * 6 + 1);
    const llama = new LlamaForCausalLM(
      {
        vocabSize: 32,
        hiddenSize: 8,
        intermediateSize: 12,
        numHiddenLayers: 1,
        numAttentionHeads: 2,
        maxPositionEmbeddings: 8,
      },
      { seed: 0 },
    );
    expect(allLinearTargets(llama, 'CAUSAL_LM')).toEqual(
      ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'].map((n) =>
        n.endsWith('_proj') && ['gate_proj', 'up_proj', 'down_proj'].includes(n)
          ? `model.layers.0.mlp.${n}`
          : `model.layers.0.self_attn.${n}`,
      ),
    );
  });
  it('default targets by model type, rank_pattern / alpha_pattern per module', () => {
    const lora = LoraModel.wrap(tinyBert(), {
      r: 2,
      rankPattern: { 'layer\\.2\\.attention\\.self\\.value': 5 },
      alphaPattern: { value: 7 },
    });
    const layers = lora.layers();
    expect([...layers.keys()].filter((k) => k.endsWith('query')).length).toBe(3);
    expect(
      layers.get('bert.encoder.layer.2.attention.self.value')?.specs.get('default'),
    ).toMatchObject({ r: 5, alpha: 7 });
    expect(
      layers.get('bert.encoder.layer.0.attention.self.value')?.specs.get('default'),
    ).toMatchObject({ r: 2, alpha: 7 });
    expect(
      layers.get('bert.encoder.layer.0.attention.self.query')?.specs.get('default'),
    ).toMatchObject({ r: 2, alpha: 8, scaling: 4 });
  });
  it('errors: nothing matched (with a suggestion), a non-adaptable match', () => {
    expect(() => LoraModel.wrap(tinyBert(), { targetModules: ['querry'] })).toThrowError(
      NotFoundError,
    );
    expect(() => LoraModel.wrap(tinyBert(), { targetModules: ['querry'] })).toThrowError(
      /Did you mean "query"/,
    );
    expect(() => LoraModel.wrap(tinyBert(), { targetModules: ['attention'] })).toThrowError(
      /BertAttention/,
    );
  });
});

describe('training touches only the adapter', () => {
  it('every frozen base weight stays bit-identical; tensors stay flat; loss falls', async () => {
    const model = tinyBert();
    const frozenBefore = new Map(
      model
        .namedParameters()
        .filter(([n]) => !n.startsWith('classifier'))
        .map(([n, p]) => [n, Float32Array.from(p.dataSync())]),
    );
    const lora = LoraModel.wrap(model, {
      r: 2,
      loraAlpha: 4,
      targetModules: 'all-linear',
      taskType: 'SEQ_CLS',
      useDora: true,
      loraDropout: 0.1,
    });
    expect(lora.modulesToSave('default')).toEqual(['classifier']);
    const trainable = lora.trainableParameters();
    expect(Object.keys(trainable).every((n) => /lora_|classifier\./.test(n))).toBe(true);
    const opt = createOptimizer('adamw', {
      lr: 1e-2,
      groups: loraPlusGroups(lora, { ratio: 16 }),
    }) as {
      step(p: Record<string, tf.Variable>, g: Record<string, tf.Tensor>): unknown;
    };
    const labels = tf.oneHot(tf.tensor1d([1, 0], 'int32'), 2);
    model.train();
    const losses: number[] = [];
    let tensors = 0;
    for (let step = 0; step < 12; step++) {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () =>
            tf.losses.softmaxCrossEntropy(
              labels,
              model.forward({ inputIds: ids, attentionMask: mask }).logits,
            ) as tf.Scalar,
          Object.values(trainable),
        );
        losses.push(value.dataSync()[0]);
        opt.step(
          trainable,
          Object.fromEntries(Object.entries(trainable).map(([n, v]) => [n, grads[v.name]])),
        );
      });
      if (step === 2) tensors = tf.memory().numTensors;
    }
    expect(tf.memory().numTensors).toBe(tensors);
    expect(losses.at(-1)).toBeLessThan(losses[0]);
    for (const [name, p] of model.namedParameters()) {
      const original = name.replace('.base_layer.', '.');
      const before = frozenBefore.get(original);
      if (!before) continue;
      expect(Float32Array.from(p.dataSync()), name).toEqual(before);
    }
    labels.dispose();
  });
});

describe('several adapters', () => {
  it('switching, disabling, deleting; each adapter has its own classifier copy', () => {
    const model = tinyBert();
    model.eval();
    const base = logits(model);
    const lora = LoraModel.wrap(
      model,
      { r: 2, taskType: 'SEQ_CLS', initLoraWeights: false },
      { seed: 1 },
    );
    lora.addAdapter('other', { r: 4, taskType: 'SEQ_CLS', initLoraWeights: false }, { seed: 2 });
    const head = () => Array.from(model.getParameter('classifier.weight').dataSync());
    const originalHead = head();
    // Train-like change to the default adapter's head.
    model
      .getParameter('classifier.weight')
      .assign(tf.onesLike(model.getParameter('classifier.weight')));
    const a = logits(model);
    lora.setAdapter('other');
    expect(head()).toEqual(originalHead); // other's copy started from the original
    const b = logits(model);
    expect(maxAbsDiff(a, b)).toBeGreaterThan(1e-4);
    expect(
      Object.keys(lora.trainableParameters()).every(
        (n) => n.includes('.other.') || n.startsWith('classifier.'),
      ),
    ).toBe(true);
    lora.setAdapter('default');
    expect(head().every((v) => v === 1)).toBe(true);
    expect(maxAbsDiff(logits(model), a)).toBe(0);
    lora.withAdaptersDisabled(() => {
      expect(maxAbsDiff(logits(model), base)).toBeLessThan(1e-6);
      expect(head()).toEqual(originalHead);
    });
    expect(maxAbsDiff(logits(model), a)).toBe(0);
    lora.deleteAdapter('other');
    expect(lora.adapters).toEqual(['default']);
    expect(model.namedParameters().some(([n]) => n.includes('.other'))).toBe(false);
    const plain = lora.unload();
    expect(head().every((v) => v === 1)).toBe(true); // unload keeps the active copy, as PEFT
    expect(plain).toBe(model);
    expect(maxAbsDiff(logits(model), base)).toBeGreaterThan(0);
  });

  it('merge / unmerge of several adapters is an exact inverse, merged forward equals unmerged', () => {
    const model = tinyBert();
    model.eval();
    const before = new Map(model.namedParameters().map(([n, p]) => [n, Array.from(p.dataSync())]));
    const lora = LoraModel.wrap(
      model,
      { r: 2, targetModules: 'all-linear', initLoraWeights: false },
      { seed: 3 },
    );
    lora.addAdapter(
      'second',
      { r: 3, targetModules: ['query', 'dense'], initLoraWeights: false },
      { seed: 4 },
    );
    lora.addAdapter(
      'dora',
      { r: 3, targetModules: ['query', 'dense'], useDora: true, initLoraWeights: false },
      { seed: 5 },
    );
    lora.setAdapter(['default', 'second']);
    const y = logits(model);
    lora.merge();
    expect(lora.merged).toBe(true);
    expect(maxAbsDiff(logits(model), y)).toBeLessThan(1e-5);
    lora.unmerge();
    lora.setAdapter('dora');
    const yd = logits(model);
    lora.merge();
    expect(maxAbsDiff(logits(model), yd)).toBeLessThan(1e-5);
    lora.unmerge();
    // DoRA normalises the whole weight: merging it on top of another adapter is refused.
    lora.setAdapter(['default', 'dora']);
    expect(() => lora.merge()).toThrowError(/DoRA/);
    expect(lora.merged).toBe(false);
    for (const [n, p] of model.namedParameters()) {
      const orig = before.get(n.replace('.base_layer.', '.'));
      if (orig && n.includes('base_layer'))
        expect(maxAbsDiff(p.dataSync(), orig)).toBeLessThan(1e-6);
    }
  });

  it('weighted combination: "cat" is exactly Σ wᵢsᵢBᵢAᵢ; "linear" is PEFT\'s √-weighted factor sum', () => {
    const model = new TinyEncoder(6, 1, 2);
    const lora = LoraModel.wrap(
      model,
      { r: 2, loraAlpha: 4, targetModules: ['query'], initLoraWeights: false },
      { seed: 5, adapterName: 'a' },
    );
    lora.addAdapter(
      'b',
      { r: 2, loraAlpha: 2, targetModules: ['query'], initLoraWeights: false },
      { seed: 6 },
    );
    const layer = lora.layers().get('encoder.layer.0.attention.self.query') as LoraLinear;
    const get = (n: string) => {
      const f = layer.factors(n);
      return {
        a: fromFlat(f.a.dataSync(), f.a.shape[0], 6),
        b: fromFlat(f.b.dataSync(), 6, f.b.shape[1] as number),
        s: layer.specs.get(n)?.scaling as number,
      };
    };
    const A = get('a');
    const B = get('b');
    addWeightedAdapter(lora, ['a', 'b'], [0.7, -0.4], 'cat', 'cat');
    const delta = (n: string) => Array.from(layer.deltaWeight(n).dataSync());
    const want = add(
      add(
        mm(A.b, A.a).map((r) => r.map(() => 0)),
        mm(A.b, A.a),
        0.7 * A.s,
      ),
      mm(B.b, B.a),
      -0.4 * B.s,
    );
    expect(maxAbsDiff(delta('cat'), flat(want))).toBeLessThan(1e-6);
    expect(layer.specs.get('cat')).toMatchObject({ r: 4, scaling: 1 });
    addWeightedAdapter(lora, ['a', 'b'], [0.7, -0.4], 'lin', 'linear');
    const wa = 0.7 * A.s;
    const wb = -0.4 * B.s;
    const a2 = add(
      A.a.map((r) => r.map((v) => v * Math.sqrt(wa))),
      B.a,
      -Math.sqrt(-wb),
    );
    const b2 = add(
      A.b.map((r) => r.map((v) => v * Math.sqrt(wa))),
      B.b,
      Math.sqrt(-wb),
    );
    expect(maxAbsDiff(delta('lin'), flat(mm(b2, a2)))).toBeLessThan(1e-6);
    expect(() => addWeightedAdapter(lora, ['a', 'cat'], [1, 1], 'bad', 'linear')).toThrowError(
      /same r/,
    );
    expect(
      Object.keys(lora.trainableParameters()).some(
        (n) => n.includes('.cat.') || n.includes('.lin.'),
      ),
    ).toBe(false);
  });
});

describe('PiSSA and OLoRA', () => {
  it('OLoRA: B = Q[:, :r], A = R[:r] with LAPACK/torch signs; W = residual + s·B·A', () => {
    // torch.linalg.qr([[1,2],[3,4],[5,6]]): Q[:,0] = −[1,3,5]/√35, R = [[−√35, −44/√35], [0, 0.828…]]
    const model = new TinyLm(4, 3);
    const proj = model.proj as Linear;
    proj.weight.assign(tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 10], [3, 3]));
    const lora = LoraModel.wrap(model, {
      r: 1,
      loraAlpha: 1,
      targetModules: ['proj'],
      initLoraWeights: 'olora',
    });
    const layer = lora.layers().get('proj') as LoraLinear;
    const f = layer.factors('default');
    const n = Math.hypot(1, 4, 7);
    expect(maxAbsDiff(f.b.dataSync(), [-1 / n, -4 / n, -7 / n])).toBeLessThan(1e-6);
    expect(maxAbsDiff(f.a.dataSync(), [-n, -(2 + 20 + 56) / n, -(3 + 24 + 70) / n])).toBeLessThan(
      1e-5,
    );
    const w = fromFlat(layer.baseWeight.dataSync(), 3, 3);
    const ba = mm(fromFlat(f.b.dataSync(), 3, 1), fromFlat(f.a.dataSync(), 1, 3));
    expect(maxAbsDiff(flat(add(w, ba)), [1, 2, 3, 4, 5, 6, 7, 8, 10])).toBeLessThan(1e-5);
  });

  it('PiSSA: s·B·A is the best rank-r approximation; forward unchanged at init; saves as plain LoRA for the original base', () => {
    const model = new TinyEncoder(8, 1, 2, 3);
    model.eval();
    const x = tf.tensor2d(randomValues(2 * 8, 3), [2, 8]);
    const y0 = model.forward(x).dataSync();
    const w0 = Array.from(
      model.getParameter('encoder.layer.0.attention.self.value.weight').dataSync(),
    );
    const lora = LoraModel.wrap(model, {
      r: 3,
      loraAlpha: 6,
      targetModules: ['value'],
      initLoraWeights: 'pissa',
    });
    expect(maxAbsDiff(model.forward(x).dataSync(), y0)).toBeLessThan(1e-5);
    const layer = lora.layers().get('encoder.layer.0.attention.self.value') as LoraLinear;
    const delta = Array.from(layer.deltaWeight('default').dataSync());
    const residual = Array.from(layer.baseWeight.dataSync());
    // Residual ⟂ principal part: ‖W‖² = ‖sBA‖² + ‖residual‖² (Eckart–Young split).
    const sq = (v: number[]) => v.reduce((s, e) => s + e * e, 0);
    expect(Math.abs(sq(w0) - sq(delta) - sq(residual))).toBeLessThan(1e-4);
    // A·Aᵀ = B ᵀB = diag(S_r / s): both factors carry √S.
    const f = layer.factors('default');
    const aM = fromFlat(f.a.dataSync(), 3, 8);
    const aat = mm(
      aM,
      aM[0].map((_, j) => aM.map((row) => row[j])),
    );
    expect(Math.abs(aat[0][1])).toBeLessThan(1e-4);
    expect(aat[0][0]).toBeGreaterThanOrEqual(aat[1][1]);
    // "Train": change A and B, then save as plain LoRA for the original base.
    f.a.assign(tf.add(f.a, 0.05));
    f.b.assign(tf.mul(f.b, 1.1));
    const yTrained = model.forward(x).dataSync();
    const files = saveAdapter(lora, { convertToLora: true });
    const cfg = JSON.parse(files['adapter_config.json']);
    expect(cfg).toMatchObject({ r: 6, lora_alpha: 12, init_lora_weights: true });
    const fresh = new TinyEncoder(8, 1, 2, 3);
    fresh.eval();
    const { lora: converted } = loadAdapter(fresh, {
      config: files['adapter_config.json'],
      weights: files['adapter_model.safetensors'],
    });
    expect(
      maxAbsDiff((converted.model as TinyEncoder).forward(x).dataSync(), yTrained),
    ).toBeLessThan(1e-5);
    // Unconverted: PEFT replays the PiSSA init on the original base when loading.
    const plainFiles = saveAdapter(lora);
    const again = new TinyEncoder(8, 1, 2, 3);
    again.eval();
    loadAdapter(again, {
      config: plainFiles['adapter_config.json'],
      weights: plainFiles['adapter_model.safetensors'],
    });
    expect(maxAbsDiff(again.forward(x).dataSync(), yTrained)).toBeLessThan(1e-5);
  });

  it('bad inits and names are refused', () => {
    expect(() =>
      LoraModel.wrap(new TinyLm(), { r: 9, targetModules: ['proj'], initLoraWeights: 'pissa' }),
    ).toThrowError(/r ≤ min/);
    expect(() =>
      LoraModel.wrap(new TinyLm(), { targetModules: ['embed'], useDora: true }),
    ).toThrowError(/DoRA on embedding/);
    expect(() =>
      LoraModel.wrap(new TinyLm(), { targetModules: ['proj'] }, { adapterName: 'a.b' }),
    ).toThrowError(ValidationError);
    expect(() =>
      LoraModel.wrap(new TinyLm(), { targetModules: ['proj'], modulesToSave: ['lm_head'] }),
    ).toThrowError(/shares a weight/);
  });
});

describe('wrapping twice', () => {
  it('a second LoraModel on an adapted model says to use the first one', () => {
    const model = tinyBert();
    LoraModel.wrap(model, { r: 2 });
    expect(() => LoraModel.wrap(model, { r: 2 })).toThrowError(/another LoraModel/);
  });
});

describe('mixed-batch inference (PEFT adapter_names)', () => {
  it('each row gets its own adapter; "__base__" rows get the base model', () => {
    const model = new TinyLm(11, 6, 1);
    model.eval();
    const lora = LoraModel.wrap(
      model,
      { r: 2, targetModules: ['proj', 'embed'], initLoraWeights: false },
      { seed: 1, adapterName: 'a' },
    );
    lora.addAdapter('b', { r: 3, targetModules: ['proj'], initLoraWeights: false }, { seed: 2 });
    const rows = [
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ];
    const single = (name: string | null, row: number[]) => {
      const run = () => Array.from(model.forward(tf.tensor2d([row], [1, 3], 'int32')).dataSync());
      if (name === null) return lora.withAdaptersDisabled(run);
      lora.setAdapter(name);
      return run();
    };
    const want = [single('a', rows[0]), single(null, rows[1]), single('b', rows[2])].flat();
    const got = lora.withBatchAdapters(['a', '__base__', 'b'], () =>
      Array.from(model.forward(tf.tensor2d(rows, [3, 3], 'int32')).dataSync()),
    );
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-6);
    expect(() => lora.withBatchAdapters(['a', 'zzz', 'b'], () => 0)).toThrowError(
      /no adapter "zzz"/,
    );
    expect(() =>
      lora.withBatchAdapters(['a', 'b'], () => model.forward(tf.tensor2d(rows, [3, 3], 'int32'))),
    ).toThrowError(/2 rows/);
    model.train();
    expect(() => lora.withBatchAdapters(['a', 'b', 'a'], () => 0)).toThrowError(/inference/);
  });
});
