// Every loss against (1) a case worked by hand, (2) the float64 plain-loop
// reference in ./reference.ts on random inputs with padding masks, and
// (3) finite differences of that reference for its gradient.
import { initBackend, ShapeError, ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  attentionKl,
  attentionMse,
  causalLmCrossEntropy,
  crossEntropyLoss,
  generalizedJsd,
  hiddenCosine,
  hiddenMse,
  logitKd,
  logitMse,
  selfRelationKl,
  softCrossEntropy,
} from '../src/index.js';
import {
  type Arr,
  arr,
  numericGrad,
  refAttentionKl,
  refAttentionMse,
  refCausalLm,
  refCrossEntropy,
  refHiddenCos,
  refHiddenMse,
  refJsd,
  refLogitKd,
  refLogitMse,
  refRelationKl,
  refSoftCe,
  seeded,
} from './reference.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const ten = (a: Arr) => tf.tensor(Float32Array.from(a.data), a.shape, 'float32');
const value = (x: tf.Scalar) => {
  const v = x.dataSync()[0];
  x.dispose();
  return v;
};
/** float32 loss vs float64 reference: relative 2e-5 (observed ≲ 1e-6). */
const close = (got: number, want: number, tol = 2e-5) =>
  expect(Math.abs(got - want)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want)));

/**
 * tf's gradient (float32) of `loss(student)` against central differences
 * (eps 1e-5) of the float64 reference: |g − g_fd| ≤ 1e-3 · max(1, max|g_fd|).
 */
function checkGradient(
  student: Arr,
  loss: (s: tf.Tensor) => tf.Scalar,
  ref: (s: Arr) => number,
  tol = 1e-3,
): void {
  const g = tf.tidy(() =>
    tf
      .grad((s: tf.Tensor) => loss(s))(ten(student))
      .dataSync(),
  );
  const fd = numericGrad((x) => ref({ data: x, shape: student.shape }), student.data);
  const scale = Math.max(1, ...Array.from(fd, Math.abs));
  for (let i = 0; i < fd.length; i++) {
    expect(Math.abs(g[i] - fd[i])).toBeLessThanOrEqual(tol * scale);
  }
}

// A [2, 3, 5] batch of logits with the last position of row 1 padded.
const LS = arr(seeded(30, 1, 3), [2, 3, 5]);
const LT = arr(seeded(30, 2, 3), [2, 3, 5]);
const LMASK = [1, 1, 1, 1, 1, 0];
const mask2 = (m: number[]) => tf.tensor2d(m, [2, 3]);

describe('logit losses', () => {
  it('logit-kd: hand-worked KL, with and without T²', () => {
    // p_t = softmax([ln 3, 0]) = [3/4, 1/4], p_s = [1/2, 1/2]:
    // KL = 3/4·ln(3/2) + 1/4·ln(1/2).
    const s = tf.tensor2d([[0, 0]]);
    const t = tf.tensor2d([[Math.log(3), 0]]);
    close(value(logitKd(s, t)), 0.75 * Math.log(1.5) + 0.25 * Math.log(0.5));
    // T = 2: p_t = [√3, 1]/(√3 + 1); KL to uniform = Σ p ln(2p); ×T² = 4.
    const a = Math.sqrt(3) / (Math.sqrt(3) + 1);
    const kl2 = a * Math.log(2 * a) + (1 - a) * Math.log(2 * (1 - a));
    close(value(logitKd(s, t, { temperature: 2 })), 4 * kl2);
    close(value(logitKd(s, t, { temperature: 2, scaleByTemperatureSquared: false })), kl2);
    // Reverse: KL(p_s‖p_t) = 1/2·ln(2/3) + 1/2·ln(2).
    close(
      value(logitKd(s, t, { direction: 'reverse' })),
      0.5 * Math.log(2 / 3) + 0.5 * Math.log(2),
    );
  });

  it('logit-kd, soft-ce, jsd, logit-mse match the plain-loop reference with padding', () => {
    for (const T of [1, 2.5]) {
      const o = { temperature: T, mask: mask2(LMASK) };
      close(
        value(logitKd(ten(LS), ten(LT), o)),
        refLogitKd(LS, LT, { temperature: T, mask: LMASK }),
      );
      close(
        value(logitKd(ten(LS), ten(LT), { ...o, direction: 'reverse' })),
        refLogitKd(LS, LT, { temperature: T, mask: LMASK, direction: 'reverse' }),
      );
      close(
        value(softCrossEntropy(ten(LS), ten(LT), o)),
        refSoftCe(LS, LT, { temperature: T, mask: LMASK }),
      );
      close(
        value(logitMse(ten(LS), ten(LT), o)),
        refLogitMse(LS, LT, { temperature: T, mask: LMASK }),
      );
      for (const beta of [0, 0.1, 0.5, 0.9, 1]) {
        close(
          value(generalizedJsd(ten(LS), ten(LT), { ...o, beta })),
          refJsd(LS, LT, { temperature: T, beta, mask: LMASK }),
        );
      }
    }
    close(
      value(logitMse(ten(LS), ten(LT), { temperature: 3, scaleByTemperatureSquared: false })),
      refLogitMse(LS, LT, { temperature: 3, scale: false }),
    );
  });

  it('soft-ce = forward KL + teacher entropy; padded positions change nothing', () => {
    const padded = arr(
      LT.data.map((v, i) => (i >= 25 ? v * 100 : v)),
      LT.shape,
    );
    const m = mask2(LMASK);
    close(
      value(logitKd(ten(LS), ten(padded), { mask: m })),
      value(logitKd(ten(LS), ten(LT), { mask: m })),
    );
    // An all-padding batch is 0, not NaN.
    expect(value(logitKd(ten(LS), ten(LT), { mask: mask2([0, 0, 0, 0, 0, 0]) }))).toBe(0);
  });

  it('gradients match finite differences', () => {
    const mask = LMASK;
    const m = () => mask2(mask);
    checkGradient(
      LS,
      (s) => logitKd(s, ten(LT), { temperature: 2, mask: m() }),
      (s) => refLogitKd(s, LT, { temperature: 2, mask }),
    );
    checkGradient(
      LS,
      (s) => logitKd(s, ten(LT), { direction: 'reverse', mask: m() }),
      (s) => refLogitKd(s, LT, { direction: 'reverse', mask }),
    );
    checkGradient(
      LS,
      (s) => softCrossEntropy(s, ten(LT), { temperature: 3, mask: m() }),
      (s) => refSoftCe(s, LT, { temperature: 3, mask }),
    );
    checkGradient(
      LS,
      (s) => generalizedJsd(s, ten(LT), { beta: 0.3, mask: m() }),
      (s) => refJsd(s, LT, { beta: 0.3, mask }),
    );
    checkGradient(
      LS,
      (s) => logitMse(s, ten(LT), { mask: m() }),
      (s) => refLogitMse(s, LT, { mask }),
    );
  });

  it('bad input is a typed error', () => {
    expect(() => logitKd(tf.zeros([2, 3]), tf.zeros([2, 4]))).toThrow(ShapeError);
    expect(() => logitKd(tf.zeros([2, 3]), tf.zeros([2, 3]), { temperature: 0 })).toThrow(
      ValidationError,
    );
    expect(() => logitKd(tf.zeros([2, 3]), tf.zeros([2, 3]), { mask: [1, 1, 1] })).toThrow(
      /mask must be \[2\]/,
    );
    expect(() => generalizedJsd(tf.zeros([2, 3]), tf.zeros([2, 3]), { beta: 2 })).toThrow(
      ValidationError,
    );
  });
});

// Hidden states [2, 3, 4] (student) and [2, 3, 6] (teacher), projection 4 → 6.
const HS = arr(seeded(24, 3), [2, 3, 4]);
const HT = arr(seeded(36, 4), [2, 3, 6]);
const HT4 = arr(seeded(24, 5), [2, 3, 4]);
const W = arr(seeded(24, 6, 0.5), [6, 4]);
const B = arr(seeded(6, 7, 0.1), [6]);

describe('hidden-state losses', () => {
  it('hand-worked MSE and cosine', () => {
    // ‖[1, 2] − [0, 0]‖² / d = 5 / 2; cos([1, 0], [1, 1]) = 1/√2.
    close(value(hiddenMse(tf.tensor3d([[[1, 2]]]), tf.tensor3d([[[0, 0]]]))), 2.5);
    close(value(hiddenCosine(tf.tensor3d([[[1, 0]]]), tf.tensor3d([[[1, 1]]]))), 1 - Math.SQRT1_2);
  });

  it('match the reference with a projection and padding, and ignore padded values', () => {
    const mask = LMASK;
    const proj = { weight: ten(W), bias: ten(B) };
    close(
      value(hiddenMse(ten(HS), ten(HT), { mask: mask2(mask), projection: proj })),
      refHiddenMse(HS, HT, { mask, w: W, b: B }),
    );
    close(
      value(hiddenCosine(ten(HS), ten(HT), { mask: mask2(mask), projection: proj })),
      refHiddenCos(HS, HT, { mask, w: W, b: B }),
    );
    close(
      value(hiddenMse(ten(HS), ten(HT4), { mask: mask2(mask) })),
      refHiddenMse(HS, HT4, { mask }),
    );
    // NaN in a padded position does not reach the loss.
    const poisoned = HT4.data.slice();
    poisoned[23] = Number.NaN;
    close(
      value(hiddenMse(ten(HS), ten(arr(poisoned, HT4.shape)), { mask: mask2(mask) })),
      refHiddenMse(HS, HT4, { mask }),
    );
  });

  it('gradients (student and projection) match finite differences', () => {
    const mask = LMASK;
    checkGradient(
      HS,
      (s) =>
        hiddenMse(s, ten(HT), { mask: mask2(mask), projection: { weight: ten(W), bias: ten(B) } }),
      (s) => refHiddenMse(s, HT, { mask, w: W, b: B }),
    );
    checkGradient(
      HS,
      (s) =>
        hiddenCosine(s, ten(HT), {
          mask: mask2(mask),
          projection: { weight: ten(W), bias: ten(B) },
        }),
      (s) => refHiddenCos(s, HT, { mask, w: W, b: B }),
    );
    checkGradient(
      W,
      (w) =>
        hiddenMse(ten(HS), ten(HT), { mask: mask2(mask), projection: { weight: w, bias: ten(B) } }),
      (w) => refHiddenMse(HS, HT, { mask, w, b: B }),
    );
  });

  it('a width mismatch without a projection is a ShapeError that says what to do', () => {
    expect(() => hiddenMse(ten(HS), ten(HT))).toThrow(ShapeError);
    expect(() => hiddenMse(ten(HS), ten(HT))).toThrow(
      /student width 4 ≠ teacher width 6.*projection/,
    );
    expect(() =>
      hiddenCosine(ten(HS), ten(HT), { projection: { weight: tf.zeros([5, 4]) } }),
    ).toThrow(/maps the student to width 5/);
  });
});

/** Softmax rows of [B,H,T,S] scores with additive −10000 on padded keys. */
function scoresWithMask(raw: Float64Array, shape: number[], mask: number[][]): Arr {
  const [b, h, t, s] = shape;
  const out = Float64Array.from(raw);
  for (let i = 0; i < b; i++)
    for (let j = 0; j < h; j++)
      for (let q = 0; q < t; q++)
        for (let k = 0; k < s; k++) if (!mask[i][k]) out[((i * h + j) * t + q) * s + k] += -10000;
  return arr(out, shape);
}
function probsOf(scores: Arr): Arr {
  return {
    data: Float64Array.from(tf.tidy(() => tf.softmax(ten(scores)).dataSync())),
    shape: scores.shape,
  };
}

const AMASK = [
  [1, 1, 1, 1],
  [1, 1, 1, 0],
];
const SS = scoresWithMask(seeded(2 * 2 * 4 * 4, 8, 2), [2, 2, 4, 4], AMASK);
const ST = scoresWithMask(seeded(2 * 2 * 4 * 4, 9, 2), [2, 2, 4, 4], AMASK);
const ST3 = scoresWithMask(seeded(2 * 3 * 4 * 4, 10, 2), [2, 3, 4, 4], AMASK);

describe('attention losses', () => {
  it('hand-worked KL (0·log 0 = 0) and TinyBERT MSE (masked entries zeroed)', () => {
    // Teacher [1, 0], student [1/2, 1/2]: KL = ln 2 (the 0 term adds nothing).
    close(
      value(attentionKl(tf.tensor4d([[[[0.5, 0.5]]]]), tf.tensor4d([[[[1, 0]]]]))),
      Math.log(2),
    );
    // Scores [1, −10000] vs [3, −10005]: the masked pair compares 0 = 0; (1 − 3)² / 2 entries.
    close(value(attentionMse(tf.tensor4d([[[[1, -10000]]]]), tf.tensor4d([[[[3, -10005]]]]))), 2);
  });

  it('attention-kl matches the reference: probs, scores, padding, different head counts', () => {
    const m = tf.tensor2d(AMASK);
    close(
      value(attentionKl(ten(probsOf(SS)), ten(probsOf(ST)), { mask: m })),
      refAttentionKl(SS, ST, { mask: AMASK, input: 'scores' }),
    );
    close(
      value(attentionKl(ten(SS), ten(ST), { mask: m, input: 'scores' })),
      refAttentionKl(SS, ST, { mask: AMASK, input: 'scores' }),
    );
    // 2 student heads vs 3 teacher heads: both averaged over heads first.
    close(
      value(attentionKl(ten(probsOf(SS)), ten(probsOf(ST3)), { mask: m })),
      refAttentionKl(probsOf(SS), probsOf(ST3), { mask: AMASK }),
    );
    close(
      value(attentionKl(ten(SS), ten(ST3), { mask: m, input: 'scores' })),
      refAttentionKl(SS, ST3, { mask: AMASK, input: 'scores' }),
    );
  });

  it('attention-mse matches the reference with padding and different head counts', () => {
    const m = tf.tensor2d(AMASK);
    close(
      value(attentionMse(ten(SS), ten(ST), { mask: m })),
      refAttentionMse(SS, ST, { mask: AMASK }),
    );
    close(
      value(attentionMse(ten(SS), ten(ST3), { mask: m })),
      refAttentionMse(SS, ST3, { mask: AMASK }),
    );
    close(value(attentionMse(ten(SS), ten(ST))), refAttentionMse(SS, ST));
  });

  it('gradients match finite differences', () => {
    const m = () => tf.tensor2d(AMASK);
    checkGradient(
      SS,
      (s) => attentionKl(s, ten(ST), { mask: m(), input: 'scores' }),
      (s) => refAttentionKl(s, ST, { mask: AMASK, input: 'scores' }),
    );
    checkGradient(
      SS,
      (s) => attentionKl(s, ten(ST3), { mask: m(), input: 'scores' }),
      (s) => refAttentionKl(s, ST3, { mask: AMASK, input: 'scores' }),
    );
    checkGradient(
      SS,
      (s) => attentionMse(s, ten(ST), { mask: m() }),
      (s) => refAttentionMse(s, ST, { mask: AMASK }),
    );
  });

  it('bad shapes are typed errors', () => {
    expect(() => attentionKl(tf.zeros([2, 2, 4, 4]), tf.zeros([2, 2, 4, 5]))).toThrow(ShapeError);
    expect(() => attentionMse(tf.zeros([2, 4, 4]), tf.zeros([2, 2, 4, 4]))).toThrow(
      /\[B, H, T, S\]/,
    );
  });
});

// Values [B=2, H, S=4, dh]: student 2 heads × 3, teacher 2 heads × 5 or 4 heads × 2.
const VS = arr(seeded(2 * 2 * 4 * 3, 11), [2, 2, 4, 3]);
const VT = arr(seeded(2 * 2 * 4 * 5, 12), [2, 2, 4, 5]);
const VT4 = arr(seeded(2 * 4 * 4 * 2, 13), [2, 4, 4, 2]);

describe('value relation (MiniLM)', () => {
  it('hand-worked: identical values give 0; orthogonal one-hot values give KL to uniform', () => {
    const x = tf.tensor4d([
      [
        [
          [1, 0],
          [0, 1],
        ],
      ],
    ]); // [1, 1, 2, 2]
    close(value(selfRelationKl(x, x)), 0);
    // Teacher rows softmax([1, 0]/√2) per query; student zeros → uniform.
    const p = 1 / (1 + Math.exp(-1 / Math.SQRT2));
    const klUniform = p * Math.log(2 * p) + (1 - p) * Math.log(2 * (1 - p));
    close(value(selfRelationKl(tf.zeros([1, 1, 2, 2]), x)), klUniform);
  });

  it('matches the reference per head and with MiniLMv2 relation heads, with padding', () => {
    const m = tf.tensor2d(AMASK);
    close(
      value(selfRelationKl(ten(VS), ten(VT), { mask: m })),
      refRelationKl(VS, VT, { mask: AMASK }),
    );
    close(
      value(selfRelationKl(ten(VS), ten(VT4), { mask: m, relationHeads: 2 })),
      refRelationKl(VS, VT4, { mask: AMASK, relationHeads: 2 }),
    );
  });

  it('gradient matches finite differences; different head counts need relationHeads', () => {
    checkGradient(
      VS,
      (s) => selfRelationKl(s, ten(VT), { mask: tf.tensor2d(AMASK) }),
      (s) => refRelationKl(s, VT, { mask: AMASK }),
    );
    expect(() => selfRelationKl(ten(VS), ten(VT4))).toThrow(/relationHeads/);
  });
});

describe('hard-label cross-entropy', () => {
  it('hand-worked: uniform logits give ln C; label smoothing as torch', () => {
    close(value(crossEntropyLoss(tf.tensor2d([[0, 0, 0]]), [1])), Math.log(3));
    // logits [ln 2, 0]: p = [2/3, 1/3]; label 0, ε = 0.2: 0.8·(−ln 2/3) + 0.2·(−(ln 2/3 + ln 1/3)/2).
    const want = 0.8 * -Math.log(2 / 3) + 0.2 * -((Math.log(2 / 3) + Math.log(1 / 3)) / 2);
    close(
      value(crossEntropyLoss(tf.tensor2d([[Math.log(2), 0]]), [0], { labelSmoothing: 0.2 })),
      want,
    );
  });

  it('matches the reference with ignore_index, masks and causal shifting', () => {
    const logits = arr(seeded(6 * 5, 14, 2), [6, 5]);
    const labels = [0, 4, -100, 2, 1, 3];
    const mask = [1, 1, 1, 1, 0, 1];
    close(
      value(crossEntropyLoss(ten(logits), labels, { mask, labelSmoothing: 0.1 })),
      refCrossEntropy(logits, labels, { mask, labelSmoothing: 0.1 }),
    );
    const ids = [
      [1, 4, 2],
      [3, 0, 0],
    ];
    const lmMask = [
      [1, 1, 1],
      [1, 1, 0],
    ];
    close(
      value(causalLmCrossEntropy(ten(LS), ids, { mask: lmMask })),
      refCausalLm(LS, ids, lmMask),
    );
    checkGradient(
      LS,
      (s) => causalLmCrossEntropy(s, ids, { mask: lmMask }),
      (s) => refCausalLm(s, ids, lmMask),
    );
  });

  it('bad labels are a ShapeError', () => {
    expect(() => crossEntropyLoss(tf.zeros([2, 3]), [1])).toThrow(ShapeError);
  });
});

describe('memory', () => {
  it('no loss leaves tensors behind', () => {
    const inputs = [
      ten(LS),
      ten(LT),
      ten(SS),
      ten(ST3),
      ten(HS),
      ten(HT),
      ten(W),
      ten(VS),
      ten(VT4),
    ];
    const [s, t, as, at, hs, ht, w, vs, vt] = inputs;
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      value(
        logitKd(s, t, {
          mask:
            LMASK.length === 6
              ? [
                  [1, 1, 1],
                  [1, 1, 0],
                ]
              : undefined,
        }),
      );
      value(generalizedJsd(s, t, { temperature: 2 }));
      value(attentionKl(as, at, { mask: AMASK, input: 'scores' }));
      value(attentionMse(as, at, { mask: AMASK }));
      value(
        hiddenMse(hs, ht, {
          mask: [
            [1, 1, 1],
            [1, 1, 0],
          ],
          projection: { weight: w },
        }),
      );
      value(hiddenCosine(hs, ht, { projection: { weight: w } }));
      value(selfRelationKl(vs, vt, { relationHeads: 2, mask: AMASK }));
      value(
        causalLmCrossEntropy(s, [
          [1, 2, 3],
          [0, 0, 0],
        ]),
      );
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(inputs);
  });
});
