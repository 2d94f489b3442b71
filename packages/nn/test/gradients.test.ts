import { initBackend, Rng } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  additiveMask,
  Embedding,
  gelu,
  geluTanh,
  LayerNorm,
  Linear,
  type Module,
  MultiHeadAttention,
  RMSNorm,
  RotaryEmbedding,
  SwiGLU,
} from '../src/index.js';
import * as ref from './reference.js';

/**
 * tfjs gradients (float32) against central differences of the float64
 * reference (step 1e-6): |analytic − numeric| ≤ 2e-3·max(1, |numeric|).
 */
const TOL = 2e-3;

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

type Params = Record<string, Float64Array>;

/**
 * Compares d/dθ sum(forward(x) ⊙ R) for every parameter of `m`, and for the
 * input when `xGrad`, with the reference `f(params, x)`.
 */
function check(
  m: Module,
  x: tf.Tensor,
  forward: (x: tf.Tensor) => tf.Tensor,
  f: (p: Params, x: Float64Array) => Float64Array,
  rng: Rng,
  xGrad = true,
) {
  const p = ref.params(m);
  const x64 = ref.toF64(x);
  const outSize = f(p, x64).length;
  const r = ref.randn(rng, outSize);
  const rT = tf.tensor(Float32Array.from(r));
  const loss = (pp: Params, xx: Float64Array) => f(pp, xx).reduce((s, v, i) => s + v * r[i], 0);
  const numeric = (
    get: () => Float64Array,
    set: (a: Float64Array) => void,
    eval_: () => number,
  ) => {
    const a = get();
    const g = new Float64Array(a.length);
    for (let i = 0; i < a.length; i++) {
      const keep = a[i];
      a[i] = keep + 1e-6;
      set(a);
      const up = eval_();
      a[i] = keep - 1e-6;
      set(a);
      const down = eval_();
      a[i] = keep;
      set(a);
      g[i] = (up - down) / 2e-6;
    }
    return g;
  };
  const vars = m.parameters();
  const { value, grads } = tf.variableGrads(
    () => tf.sum(tf.mul(forward(x).reshape([-1]), rT)) as tf.Scalar,
    vars,
  );
  for (const [name, v] of m.namedParameters()) {
    const want = numeric(
      () => p[name],
      (a) => {
        p[name] = a;
      },
      () => loss(p, x64),
    );
    const got = ref.toF64(grads[v.name]);
    for (let i = 0; i < want.length; i++) {
      expect(Math.abs(got[i] - want[i]), `${name}[${i}]`).toBeLessThan(
        TOL * Math.max(1, Math.abs(want[i])),
      );
    }
  }
  if (xGrad) {
    const gx = ref.tidy(() =>
      ref.toF64(tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(forward(xx).reshape([-1]), rT)))(x)),
    );
    const xs = x64.slice();
    const want = numeric(
      () => xs,
      () => {},
      () => loss(p, xs),
    );
    for (let i = 0; i < want.length; i++) {
      expect(Math.abs(gx[i] - want[i]), `x[${i}]`).toBeLessThan(
        TOL * Math.max(1, Math.abs(want[i])),
      );
    }
  }
  value.dispose();
  rT.dispose();
  for (const g of Object.values(grads)) g.dispose();
}

describe('gradients against finite differences', () => {
  it('Linear', () => {
    const rng = new Rng(21);
    const m = new Linear(4, 3, { rng });
    const x = tf.tensor(Float32Array.from(ref.randn(rng, 2 * 4)), [2, 4]);
    check(
      m,
      x,
      (v) => m.forward(v),
      (p, xx) => ref.linear(xx, 2, p.weight, 3, 4, p.bias),
      rng,
    );
    m.dispose();
  });

  it('LayerNorm', () => {
    const rng = new Rng(22);
    const m = new LayerNorm(5, 1e-5);
    m.weight.assign(tf.tensor(Float32Array.from(ref.randn(rng, 5))));
    const x = tf.tensor(Float32Array.from(ref.randn(rng, 3 * 5)), [3, 5]);
    check(
      m,
      x,
      (v) => m.forward(v),
      (p, xx) => ref.layerNorm(xx, 3, 5, p.weight, p.bias, 1e-5),
      rng,
    );
    m.dispose();
  });

  it('RMSNorm', () => {
    const rng = new Rng(23);
    const m = new RMSNorm(5, 1e-5);
    m.weight.assign(tf.tensor(Float32Array.from(ref.randn(rng, 5))));
    const x = tf.tensor(Float32Array.from(ref.randn(rng, 3 * 5)), [3, 5]);
    check(
      m,
      x,
      (v) => m.forward(v),
      (p, xx) => ref.rmsNorm(xx, 3, 5, p.weight, 1e-5),
      rng,
    );
    m.dispose();
  });

  it('Embedding (repeated ids accumulate)', () => {
    const rng = new Rng(24);
    const m = new Embedding(6, 3, { rng });
    const idx = [1, 4, 1, 5];
    const ids = tf.tensor2d([idx], [1, 4], 'int32');
    check(
      m,
      ids,
      (v) => m.forward(v),
      (p) => Float64Array.from(idx.flatMap((i) => [...p.weight.subarray(i * 3, i * 3 + 3)])),
      rng,
      false,
    );
    m.dispose();
  });

  it('GELU (erf and tanh forms)', () => {
    const rng = new Rng(25);
    const x = tf.tensor(Float32Array.from(ref.randn(rng, 12, 2)), [12]);
    const r = ref.randn(rng, 12);
    for (const [fn, name] of [
      [gelu, 'gelu'],
      [geluTanh, 'gelu_new'],
    ] as const) {
      const g = ref.tidy(() =>
        ref.toF64(
          tf.grad((v: tf.Tensor) => tf.sum(tf.mul(fn(v), tf.tensor(Float32Array.from(r)))))(x),
        ),
      );
      const xs = ref.toF64(x);
      for (let i = 0; i < 12; i++) {
        const d = (ref.act[name](xs[i] + 1e-6) - ref.act[name](xs[i] - 1e-6)) / 2e-6;
        expect(Math.abs(g[i] - d * r[i])).toBeLessThan(TOL * Math.max(1, Math.abs(d * r[i])));
      }
    }
  });

  it('SwiGLU', () => {
    const rng = new Rng(26);
    const m = new SwiGLU(3, 4, { rng, weightInit: { kind: 'normal', std: 0.5 } });
    const x = tf.tensor(Float32Array.from(ref.randn(rng, 2 * 3)), [2, 3]);
    check(
      m,
      x,
      (v) => m.forward(v),
      (p, xx) => {
        const g = ref.map(ref.linear(xx, 2, p['gate_proj.weight'], 4, 3), ref.act.silu);
        const u = ref.linear(xx, 2, p['up_proj.weight'], 4, 3);
        return ref.linear(
          g.map((a, i) => a * u[i]),
          2,
          p['down_proj.weight'],
          3,
          4,
        );
      },
      rng,
    );
    m.dispose();
  });

  it('multi-head attention with rotary positions, grouped-query heads and a causal mask', () => {
    const rng = new Rng(27);
    const rotary = new RotaryEmbedding(2, 8);
    const m = new MultiHeadAttention(4, 2, {
      numKvHeads: 1,
      rotary,
      rng,
      weightInit: { kind: 'normal', std: 0.7 },
    });
    const t = 3;
    const x = tf.tensor(Float32Array.from(ref.randn(rng, t * 4)), [1, t, 4]);
    const pos = [0, 1, 2];
    check(
      m,
      x,
      (v) =>
        ref.tidy(
          () =>
            m.forward(v, {
              mask: additiveMask({ causal: true, queryLength: t, keyLength: t }),
              positions: tf.tensor1d(pos, 'int32'),
            }).output,
        ),
      (p, xx) => {
        const q = ref.rope(ref.linear(xx, t, p['q_proj.weight'], 4, 4), 1, t, 2, 2, pos);
        const k = ref.rope(ref.linear(xx, t, p['k_proj.weight'], 2, 4), 1, t, 1, 2, pos);
        const v = ref.linear(xx, t, p['v_proj.weight'], 2, 4);
        const { ctx } = ref.attention(
          q,
          k,
          v,
          { b: 1, t, s: t, h: 2, hkv: 1, dh: 2 },
          (_, i, j) => j <= i,
        );
        return ref.linear(ctx, t, p['o_proj.weight'], 4, 4);
      },
      rng,
    );
    m.dispose();
    rotary.dispose();
  });
});
