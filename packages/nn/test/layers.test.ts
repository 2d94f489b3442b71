import { initBackend, Rng, ShapeError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ACTIVATION_NAMES,
  activation,
  additiveMask,
  attend,
  Conv1D,
  Dropout,
  Embedding,
  FeedForward,
  LayerNorm,
  Linear,
  MultiHeadAttention,
  permuteForInterleaved,
  permuteForRotateHalf,
  RMSNorm,
  RotaryEmbedding,
  SwiGLU,
  splitHeads,
} from '../src/index.js';
import * as ref from './reference.js';

// float32 vs float64 references: relative tolerance 2e-5 unless stated.
const TOL = 2e-5;

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

function tensorFrom(x: Float64Array, shape: number[]): tf.Tensor {
  return tf.tensor(Float32Array.from(x), shape);
}

describe('Linear and Conv1D', () => {
  it('Linear is x·Wᵀ + b with weight [out, in], for 2-D and 3-D inputs', () => {
    const rng = new Rng(1);
    const lin = new Linear(5, 3, { rng });
    expect(lin.weight.shape).toEqual([3, 5]);
    const p = ref.params(lin);
    const x = ref.randn(rng, 2 * 4 * 5);
    const got = ref.tidy(() => ref.toF64(lin.forward(tensorFrom(x, [2, 4, 5]))));
    expect(ref.maxRelDiff(got, ref.linear(x, 8, p.weight, 3, 5, p.bias))).toBeLessThan(TOL);
    const got2 = ref.tidy(() => ref.toF64(lin.forward(tensorFrom(x.slice(0, 10), [2, 5]))));
    expect(
      ref.maxRelDiff(got2, ref.linear(x.slice(0, 10), 2, p.weight, 3, 5, p.bias)),
    ).toBeLessThan(TOL);
    expect(() => lin.forward(tf.zeros([2, 4]))).toThrow(ShapeError);
    lin.dispose();
  });

  it('Linear without bias, and torch default init bounds ±1/√in', () => {
    const lin = new Linear(16, 4, { rng: new Rng(2), bias: false });
    expect(lin.bias).toBeUndefined();
    const w = lin.weight.dataSync();
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(0.25);
    lin.dispose();
  });

  it('Conv1D is x·W + b with weight [in, out] (GPT-2 layout)', () => {
    const rng = new Rng(3);
    const c = new Conv1D(4, 6, { rng });
    expect(c.weight.shape).toEqual([4, 6]);
    const p = ref.params(c);
    const x = ref.randn(rng, 3 * 4);
    const got = ref.tidy(() => ref.toF64(c.forward(tensorFrom(x, [1, 3, 4]))));
    expect(ref.maxRelDiff(got, ref.conv1d(x, 3, p.weight, 4, 6, p.bias))).toBeLessThan(TOL);
    c.dispose();
  });
});

describe('Embedding, LayerNorm, RMSNorm', () => {
  it('Embedding gathers rows and zeroes the padding row at init', () => {
    const e = new Embedding(7, 3, { rng: new Rng(4), paddingIdx: 2 });
    const w = ref.toF64(e.weight);
    expect([...w.slice(6, 9)]).toEqual([0, 0, 0]);
    const got = ref.tidy(() =>
      ref.toF64(
        e.forward(
          tf.tensor2d(
            [
              [1, 6],
              [2, 1],
            ],
            [2, 2],
            'int32',
          ),
        ),
      ),
    );
    const want = [1, 6, 2, 1].flatMap((i) => [...w.slice(i * 3, i * 3 + 3)]);
    expect([...got]).toEqual(want);
    expect(() => e.forward(tf.tensor2d([[1]], [1, 1], 'float32'))).toThrow(/int32/);
    e.dispose();
  });

  it('LayerNorm matches torch (biased variance, eps inside the root)', () => {
    const rng = new Rng(5);
    const ln = new LayerNorm(6, 1e-5);
    ln.weight.assign(tf.tensor1d(Float32Array.from(ref.randn(rng, 6))));
    ln.bias?.assign(tf.tensor1d(Float32Array.from(ref.randn(rng, 6))));
    const p = ref.params(ln);
    const x = ref.randn(rng, 4 * 6, 3);
    const got = ref.tidy(() => ref.toF64(ln.forward(tensorFrom(x, [2, 2, 6]))));
    expect(ref.maxRelDiff(got, ref.layerNorm(x, 4, 6, p.weight, p.bias, 1e-5))).toBeLessThan(TOL);
    ln.dispose();
  });

  it('RMSNorm matches Llama: w · x / √(mean x² + eps)', () => {
    const rng = new Rng(6);
    const n = new RMSNorm(8, 1e-5);
    n.weight.assign(tf.tensor1d(Float32Array.from(ref.randn(rng, 8))));
    const p = ref.params(n);
    const x = ref.randn(rng, 3 * 8, 2);
    const got = ref.tidy(() => ref.toF64(n.forward(tensorFrom(x, [3, 8]))));
    expect(ref.maxRelDiff(got, ref.rmsNorm(x, 3, 8, p.weight, 1e-5))).toBeLessThan(TOL);
    n.dispose();
  });
});

describe('activations', () => {
  it('gelu (erf), gelu_new / gelu_pytorch_tanh (tanh), silu, quick_gelu, relu match their formulas', () => {
    const x = Float64Array.from({ length: 41 }, (_, i) => -5 + i * 0.25);
    const cases: [string, string][] = [
      ['gelu', 'gelu'],
      ['gelu_new', 'gelu_new'],
      ['gelu_pytorch_tanh', 'gelu_new'],
      ['gelu_fast', 'gelu_new'],
      ['silu', 'silu'],
      ['swish', 'silu'],
      ['quick_gelu', 'quick_gelu'],
      ['relu', 'relu'],
    ];
    for (const [name, refName] of cases) {
      const got = ref.tidy(() => ref.toF64(activation(name)(tensorFrom(x, [41]))));
      // tfjs' erf is Abramowitz–Stegun 7.1.26 (|error| ≤ 1.5e-7): absolute 1e-6.
      const want = ref.map(x, ref.act[refName]);
      for (let i = 0; i < x.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-6);
    }
    expect(ACTIVATION_NAMES).toContain('gelu_new');
    expect(() => activation('gelu_approx')).toThrow(/unknown activation "gelu_approx"/);
  });

  it('the erf reference itself matches known values', () => {
    // erf(0.5), erf(1), erf(2), erf(3.5) from Abramowitz & Stegun table 7.1 / mpmath.
    expect(ref.erf(0.5)).toBeCloseTo(0.5204998778130465, 13);
    expect(ref.erf(1)).toBeCloseTo(0.8427007929497149, 13);
    expect(ref.erf(2)).toBeCloseTo(0.9953222650189527, 13);
    expect(ref.erf(3.5)).toBeCloseTo(0.9999992569016276, 13);
  });
});

describe('feed-forward blocks', () => {
  it('FeedForward = fc2(act(fc1 x)) and SwiGLU = down(silu(gate x) ⊙ up x)', () => {
    const rng = new Rng(7);
    const ff = new FeedForward(4, 10, { rng, activation: 'gelu_new' });
    const sw = new SwiGLU(4, 6, { rng, weightInit: { kind: 'normal', std: 0.5 } });
    const x = ref.randn(rng, 3 * 4);
    const p = ref.params(ff);
    const h = ref.map(ref.linear(x, 3, p['fc1.weight'], 10, 4, p['fc1.bias']), ref.act.gelu_new);
    const want = ref.linear(h, 3, p['fc2.weight'], 4, 10, p['fc2.bias']);
    expect(
      ref.maxRelDiff(
        ref.tidy(() => ref.toF64(ff.forward(tensorFrom(x, [3, 4])))),
        want,
      ),
    ).toBeLessThan(TOL);

    const q = ref.params(sw);
    expect(Object.keys(q)).toEqual(['gate_proj.weight', 'up_proj.weight', 'down_proj.weight']);
    const g = ref.map(ref.linear(x, 3, q['gate_proj.weight'], 6, 4), ref.act.silu);
    const u = ref.linear(x, 3, q['up_proj.weight'], 6, 4);
    const want2 = ref.linear(
      g.map((v, i) => v * u[i]),
      3,
      q['down_proj.weight'],
      4,
      6,
    );
    expect(
      ref.maxRelDiff(
        ref.tidy(() => ref.toF64(sw.forward(tensorFrom(x, [1, 3, 4])))),
        want2,
      ),
    ).toBeLessThan(TOL);
    ff.dispose();
    sw.dispose();
  });
});

describe('Dropout', () => {
  it('is the identity (same tensor) in eval mode', () => {
    const d = new Dropout(0.5, new Rng(1)).eval();
    const x = tf.ones([4]);
    expect(d.forward(x)).toBe(x);
    x.dispose();
  });

  it('in training zeroes ≈p of the entries, scales the rest by 1/(1−p), and is seeded', () => {
    const run = (seed: number) =>
      ref.tidy(() =>
        Array.from(new Dropout(0.3, new Rng(seed)).forward(tf.ones([20000])).dataSync()),
      );
    const a = run(9);
    expect(run(9)).toEqual(a);
    expect(run(10)).not.toEqual(a);
    const zeros = a.filter((v) => v === 0).length;
    // Binomial(20000, 0.3): sd ≈ 64.8; allow 4 sd.
    expect(Math.abs(zeros - 6000)).toBeLessThan(260);
    for (const v of a) if (v !== 0) expect(v).toBeCloseTo(1 / 0.7, 5);
    expect(() => new Dropout(1)).toThrow(/\[0, 1\)/);
  });
});

describe('rotary embeddings', () => {
  it('rotate dims j and j+dh/2 by pos·θ^(−2j/dh) (Hugging Face Llama)', () => {
    const rng = new Rng(11);
    const r = new RotaryEmbedding(8, 16);
    const x = ref.randn(rng, 2 * 3 * 2 * 8);
    const pos = [3, 4, 9];
    const got = ref.tidy(() => {
      const t = splitHeads(tensorFrom(x, [2, 3, 16]), 2);
      const y = r.forward(t, tf.tensor1d(pos, 'int32'));
      return ref.toF64(tf.transpose(y, [0, 2, 1, 3]));
    });
    expect(ref.maxRelDiff(got, ref.rope(x, 2, 3, 2, 8, pos))).toBeLessThan(TOL);
    r.dispose();
  });

  it('permuting q/k rows turns llama2.c interleaved rotation into the half split', () => {
    // llama2.c rotates pairs (2i, 2i+1) of (W x); after permuting W's rows,
    // the half-split rotation gives the same vector in permuted order.
    const rng = new Rng(12);
    const heads = 2;
    const dh = 4;
    const inDim = 3;
    const w = Float32Array.from(ref.randn(rng, heads * dh * inDim));
    const x = ref.randn(rng, inDim);
    const pos = 5;
    const y = ref.linear(x, 1, Float64Array.from(w), heads * dh, inDim);
    const inter = new Float64Array(y.length);
    for (let i = 0; i < y.length; i += 2) {
      const a = pos * 10000 ** (-(i % dh) / dh);
      inter[i] = y[i] * Math.cos(a) - y[i + 1] * Math.sin(a);
      inter[i + 1] = y[i] * Math.sin(a) + y[i + 1] * Math.cos(a);
    }
    const wp = permuteForRotateHalf(w, heads, dh, inDim);
    const yp = ref.rope(
      ref.linear(x, 1, Float64Array.from(wp), heads * dh, inDim),
      1,
      1,
      heads,
      dh,
      [pos],
    );
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < dh / 2; i++) {
        expect(yp[h * dh + i]).toBeCloseTo(inter[h * dh + 2 * i], 10);
        expect(yp[h * dh + dh / 2 + i]).toBeCloseTo(inter[h * dh + 2 * i + 1], 10);
      }
    }
    expect([...permuteForInterleaved(wp, heads, dh, inDim)]).toEqual([...w]);
  });
});

describe('attention', () => {
  const dims = { b: 2, t: 4, s: 4, h: 4, hkv: 2, dh: 3 };

  it('attend: padding + causal mask, grouped-query heads, against loops', () => {
    const rng = new Rng(13);
    const { b, t, s, h, hkv, dh } = dims;
    const q = ref.randn(rng, b * t * h * dh);
    const k = ref.randn(rng, b * s * hkv * dh);
    const v = ref.randn(rng, b * s * hkv * dh);
    const pad = [
      [1, 1, 1, 1],
      [1, 1, 1, 0],
    ];
    const want = ref.attention(q, k, v, dims, (bb, i, j) => pad[bb][j] === 1 && j <= i);
    const owner = new Linear(1, 1, { rng });
    const got = ref.tidy(() => {
      const mask = additiveMask({
        attentionMask: tf.tensor2d(pad, [2, 4], 'int32'),
        causal: true,
        queryLength: t,
        keyLength: s,
      });
      const ctx = attend(
        owner,
        splitHeads(tensorFrom(q, [b, t, h * dh]), h),
        splitHeads(tensorFrom(k, [b, s, hkv * dh]), hkv),
        splitHeads(tensorFrom(v, [b, s, hkv * dh]), hkv),
        { mask },
      );
      return ref.toF64(tf.transpose(ctx, [0, 2, 1, 3]));
    });
    expect(ref.maxRelDiff(got, want.ctx)).toBeLessThan(TOL);
    expect(() =>
      attend(owner, tf.zeros([1, 3, 2, 4]), tf.zeros([1, 2, 2, 4]), tf.zeros([1, 2, 2, 4])),
    ).toThrow(/multiple of key\/value heads/);
    owner.dispose();
  });

  it('the additive mask is 0 / −10000, [B,1,T,S], hiding future keys after a cache', () => {
    const m = additiveMask({ causal: true, queryLength: 2, keyLength: 4 }) as tf.Tensor;
    expect(m.shape).toEqual([1, 1, 2, 4]);
    expect(Array.from(m.dataSync())).toEqual([0, 0, 0, -10000, 0, 0, 0, 0]);
    m.dispose();
    expect(additiveMask({ queryLength: 2, keyLength: 2 })).toBeNull();
    expect(() =>
      additiveMask({ attentionMask: tf.ones([1, 3]), queryLength: 2, keyLength: 2 }),
    ).toThrow(ShapeError);
  });

  it('MultiHeadAttention (q/k/v/o_proj, GQA, rotary, cache) matches the loops', () => {
    const rng = new Rng(14);
    const rotary = new RotaryEmbedding(4, 32);
    const mha = new MultiHeadAttention(8, 2, { numKvHeads: 1, rotary, rng, bias: true });
    expect(Object.keys(mha.stateDict())).toEqual([
      'q_proj.weight',
      'q_proj.bias',
      'k_proj.weight',
      'k_proj.bias',
      'v_proj.weight',
      'v_proj.bias',
      'o_proj.weight',
      'o_proj.bias',
    ]);
    const p = ref.params(mha);
    const t = 5;
    const x = ref.randn(rng, t * 8);
    const pos = [0, 1, 2, 3, 4];
    const q = ref.rope(
      ref.linear(x, t, p['q_proj.weight'], 8, 8, p['q_proj.bias']),
      1,
      t,
      2,
      4,
      pos,
    );
    const k = ref.rope(
      ref.linear(x, t, p['k_proj.weight'], 4, 8, p['k_proj.bias']),
      1,
      t,
      1,
      4,
      pos,
    );
    const v = ref.linear(x, t, p['v_proj.weight'], 4, 8, p['v_proj.bias']);
    const { ctx } = ref.attention(
      q,
      k,
      v,
      { b: 1, t, s: t, h: 2, hkv: 1, dh: 4 },
      (_, i, j) => j <= i,
    );
    const want = ref.linear(ctx, t, p['o_proj.weight'], 8, 8, p['o_proj.bias']);
    const full = ref.tidy(() => {
      const mask = additiveMask({ causal: true, queryLength: t, keyLength: t });
      return ref.toF64(
        mha.forward(tensorFrom(x, [1, t, 8]), { mask, positions: tf.tensor1d(pos, 'int32') })
          .output,
      );
    });
    expect(ref.maxRelDiff(full, want)).toBeLessThan(TOL);
    // The same positions fed as a prefix of 3 and then 2 more through the cache.
    const cached = ref.tidy(() => {
      const xt = tensorFrom(x, [1, t, 8]);
      const first = mha.forward(tf.slice(xt, [0, 0, 0], [1, 3, 8]), {
        mask: additiveMask({ causal: true, queryLength: 3, keyLength: 3 }),
        positions: tf.tensor1d([0, 1, 2], 'int32'),
        useCache: true,
      });
      expect(first.present?.key.shape).toEqual([1, 1, 3, 4]);
      const second = mha.forward(tf.slice(xt, [0, 3, 0], [1, 2, 8]), {
        mask: additiveMask({ causal: true, queryLength: 2, keyLength: 5 }),
        positions: tf.tensor1d([3, 4], 'int32'),
        past: first.present,
        useCache: true,
      });
      return ref.toF64(tf.concat([first.output, second.output], 1));
    });
    expect(ref.maxRelDiff(cached, want)).toBeLessThan(TOL);
    mha.dispose();
    rotary.dispose();
  });
});
