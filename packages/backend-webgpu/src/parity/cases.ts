import { Rng } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import type { ToleranceClass } from './tolerances.js';

export type ParityDType = 'float32' | 'int32' | 'bool';

/** One input of a case: the data is fixed by the suite's seed and the case name. */
export interface ParityInput {
  name: string;
  shape: number[];
  dtype: ParityDType;
  data: Float32Array | Int32Array;
  /** Differentiate the case's output with respect to this input. */
  grad: boolean;
}

export interface ParityCase {
  name: string;
  /** What the case stands for in kd (the op family), for reports. */
  group: string;
  /** Tolerance of the forward output(s). */
  tol: ToleranceClass;
  /** Tolerance of the gradients (default: the forward one). */
  gradTol: ToleranceClass;
  inputs: ParityInput[];
  /** The ops under test; all inputs in declaration order. */
  f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
}

type Gen =
  | { normal: number; std?: number }
  | { uniform: number; low: number; high: number }
  | { ints: number; below: number; low?: number }
  | { values: number[] };

interface InputSpec {
  name: string;
  shape: number[];
  dtype?: ParityDType;
  gen?: Gen;
  grad?: boolean;
}

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function makeInput(rng: Rng, spec: InputSpec): ParityInput {
  const n = size(spec.shape);
  const dtype = spec.dtype ?? 'float32';
  const gen: Gen = spec.gen ?? { normal: 0 };
  let data: Float32Array | Int32Array;
  if ('values' in gen) {
    if (gen.values.length !== n)
      throw new Error(`${spec.name}: ${gen.values.length} values for ${n}`);
    data = dtype === 'float32' ? Float32Array.from(gen.values) : Int32Array.from(gen.values);
  } else if ('ints' in gen) {
    const low = gen.low ?? 0;
    data = Int32Array.from({ length: n }, () => low + rng.int(gen.below - low));
    if (dtype === 'float32') data = Float32Array.from(data);
  } else if ('uniform' in gen) {
    data = rng.uniformArray(n, gen.low, gen.high);
  } else {
    data = rng.normalArray(n, gen.normal, gen.std ?? 1);
  }
  return {
    name: spec.name,
    shape: spec.shape,
    dtype,
    data,
    grad: spec.grad ?? dtype === 'float32',
  };
}

const TRANSPOSES: [boolean, boolean, string][] = [
  [false, false, 'a·b'],
  [true, false, 'aᵀ·b'],
  [false, true, 'a·bᵀ'],
  [true, true, 'aᵀ·bᵀ'],
];

/**
 * tfjs-webgpu picks one of four matmul shaders by shape; these shapes reach each
 * (on a non-Intel adapter): a reduction for outputs of at most 128 elements,
 * split-K for one batch with K ≥ 2000, a small-output tiling, and the packed 32×32
 * tiling, whose odd sizes leave partial tiles at every edge.
 */
const MATMUL_SHAPES: [program: string, m: number, k: number, n: number][] = [
  ['reduce', 8, 64, 16],
  ['split-K', 16, 2048, 16],
  ['small output', 33, 40, 65],
  ['packed', 97, 83, 113],
];

/**
 * Every op the kd packages use, forward and (where differentiable) backward, as
 * cases with fixed inputs. `seed` fixes the inputs; each case draws from its own
 * stream (forked by name), so adding a case leaves the others' inputs unchanged.
 */
export function parityCases(seed = 20_260_101): ParityCase[] {
  const root = new Rng(seed);
  const out: ParityCase[] = [];
  const add = (
    group: string,
    name: string,
    tol: ToleranceClass,
    inputs: InputSpec[],
    f: ParityCase['f'],
    gradTol: ToleranceClass = tol,
  ) => {
    const rng = root.fork(name);
    out.push({ name, group, tol, gradTol, inputs: inputs.map((s) => makeInput(rng, s)), f });
  };

  // ── matmul: every transpose variant through every shader, then batched forms ──
  for (const [program, m, k, n] of MATMUL_SHAPES) {
    for (const [ta, tb, label] of TRANSPOSES) {
      add(
        'matmul',
        `matMul ${label} ${program} (${m}×${k}·${k}×${n})`,
        'reduce',
        [
          { name: 'a', shape: ta ? [k, m] : [m, k] },
          { name: 'b', shape: tb ? [n, k] : [k, n] },
        ],
        (a, b) => tf.matMul(a, b, ta, tb),
      );
    }
  }
  add(
    'matmul',
    'batched matMul (3×33×24·3×24×17)',
    'reduce',
    [
      { name: 'a', shape: [3, 33, 24] },
      { name: 'b', shape: [3, 24, 17] },
    ],
    (a, b) => tf.matMul(a, b),
  );
  add(
    'matmul',
    'attention scores q·kᵀ (2×4×16×8)',
    'reduce',
    [
      { name: 'q', shape: [2, 4, 16, 8] },
      { name: 'k', shape: [2, 4, 16, 8] },
    ],
    (q, k) => tf.matMul(q, k, false, true).div(Math.sqrt(8)),
  );
  add(
    'matmul',
    'attention weights·v (2×4×16×16·2×4×16×8)',
    'reduce',
    [
      { name: 'p', shape: [2, 4, 16, 16] },
      { name: 'v', shape: [2, 4, 16, 8] },
    ],
    (p, v) => tf.matMul(p, v),
  );
  add(
    'matmul',
    'batched aᵀ·b (3×24×33·3×24×17)',
    'reduce',
    [
      { name: 'a', shape: [3, 24, 33] },
      { name: 'b', shape: [3, 24, 17] },
    ],
    (a, b) => tf.matMul(a, b, true, false),
  );
  add(
    'matmul',
    'broadcast batch x·W (2×3×9×8·8×5)',
    'reduce',
    [
      { name: 'x', shape: [2, 3, 9, 8] },
      // tfjs 4.22's BatchMatMul gradient does not sum over broadcast batch dimensions
      // (a shape error on every backend), so only x is differentiated here.
      { name: 'w', shape: [8, 5], grad: false },
    ],
    (x, w) => tf.matMul(x, w),
  );
  add(
    'matmul',
    'linear layer x·Wᵀ + b (40×48·32×48)',
    'reduce',
    [
      { name: 'x', shape: [40, 48] },
      { name: 'w', shape: [32, 48] },
      { name: 'b', shape: [32] },
    ],
    (x, w, b) => tf.add(tf.matMul(x, w, false, true), b),
  );

  // ── softmax family ──
  add(
    'softmax',
    'softmax (64×37)',
    'transcendental',
    [{ name: 'x', shape: [64, 37], gen: { normal: 0, std: 3 } }],
    (x) => tf.softmax(x),
  );
  add(
    'softmax',
    'logSoftmax (64×37)',
    'transcendental',
    [{ name: 'x', shape: [64, 37], gen: { normal: 0, std: 3 } }],
    (x) => tf.logSoftmax(x),
  );
  add(
    'softmax',
    'masked softmax (attention mask fill −1e9)',
    'transcendental',
    [
      { name: 'x', shape: [2, 4, 16, 16] },
      { name: 'mask', shape: [2, 1, 1, 16], dtype: 'int32', gen: { ints: 2, below: 2 } },
    ],
    (x, mask) => tf.softmax(tf.where(tf.cast(mask, 'bool'), x, tf.fill(x.shape, -1e9))),
  );
  add(
    'softmax',
    'softmax of large logits (temperature 0.05)',
    'transcendental',
    [{ name: 'x', shape: [16, 50] }],
    (x) => tf.softmax(x.div(0.05)),
  );
  add(
    'softmax',
    'logSumExp (64×37, last axis)',
    'transcendental',
    [{ name: 'x', shape: [64, 37], gen: { normal: 0, std: 3 } }],
    (x) => tf.logSumExp(x, -1),
  );
  add(
    'softmax',
    'cross-entropy pieces (logSoftmax, oneHot, mean)',
    'transcendental',
    [
      { name: 'logits', shape: [32, 29] },
      { name: 'labels', shape: [32], dtype: 'int32', gen: { ints: 29, below: 29 } },
    ],
    (logits, labels) =>
      tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(labels, 29), tf.logSoftmax(logits)), -1))),
  );

  // ── normalisation ──
  add(
    'layer norm',
    'layer norm (mean, variance, rsqrt, affine) 48×64',
    'transcendental',
    [
      { name: 'x', shape: [48, 64], gen: { normal: 0.5, std: 2 } },
      { name: 'gamma', shape: [64], gen: { normal: 1, std: 0.1 } },
      { name: 'beta', shape: [64], gen: { normal: 0, std: 0.1 } },
    ],
    (x, gamma, beta) => {
      const mean = tf.mean(x, -1, true);
      const centred = tf.sub(x, mean);
      const variance = tf.mean(tf.square(centred), -1, true);
      return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, 1e-5))), gamma), beta);
    },
  );
  add(
    'layer norm',
    'RMS norm (Llama) 48×64',
    'transcendental',
    [
      { name: 'x', shape: [48, 64] },
      { name: 'w', shape: [64], gen: { normal: 1, std: 0.1 } },
    ],
    (x, w) => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), 1e-6))), w),
  );
  add('layer norm', 'moments (axis 0)', 'reduce', [{ name: 'x', shape: [64, 40] }], (x) => {
    const { mean, variance } = tf.moments(x, 0);
    return [mean, variance];
  });

  // ── activations ──
  add(
    'activations',
    'GELU, erf form (BERT)',
    'transcendental',
    [{ name: 'x', shape: [64, 48], gen: { normal: 0, std: 2 } }],
    (x) => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.div(x, Math.SQRT2)), 1)),
  );
  add(
    'activations',
    'GELU, tanh form (GPT-2)',
    'transcendental',
    [{ name: 'x', shape: [64, 48], gen: { normal: 0, std: 2 } }],
    (x) =>
      tf.mul(
        tf.mul(x, 0.5),
        tf.add(
          tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))))),
          1,
        ),
      ),
  );
  add(
    'activations',
    'erf',
    'transcendental',
    [{ name: 'x', shape: [40, 40], gen: { normal: 0, std: 1.5 } }],
    (x) => tf.erf(x),
  );
  add(
    'activations',
    'tanh',
    'transcendental',
    [{ name: 'x', shape: [40, 40], gen: { normal: 0, std: 3 } }],
    (x) => tf.tanh(x),
  );
  add(
    'activations',
    'sigmoid',
    'transcendental',
    [{ name: 'x', shape: [40, 40], gen: { normal: 0, std: 4 } }],
    (x) => tf.sigmoid(x),
  );
  add(
    'activations',
    'SiLU (x·sigmoid x)',
    'transcendental',
    [{ name: 'x', shape: [40, 40], gen: { normal: 0, std: 3 } }],
    (x) => tf.mul(x, tf.sigmoid(x)),
  );
  add(
    'activations',
    'softplus',
    'transcendental',
    [{ name: 'x', shape: [40, 40], gen: { normal: 0, std: 4 } }],
    (x) => tf.softplus(x),
  );
  add('activations', 'relu', 'arith', [{ name: 'x', shape: [40, 40] }], (x) => tf.relu(x));
  add('activations', 'leakyRelu (0.2)', 'arith', [{ name: 'x', shape: [40, 40] }], (x) =>
    tf.leakyRelu(x, 0.2),
  );
  add('activations', 'elu', 'transcendental', [{ name: 'x', shape: [40, 40] }], (x) => tf.elu(x));
  add('activations', 'step (zero gradient)', 'exact', [{ name: 'x', shape: [40, 40] }], (x) =>
    tf.step(x),
  );

  // ── elementwise math ──
  add(
    'math',
    'exp',
    'transcendental',
    [{ name: 'x', shape: [40, 40], gen: { normal: 0, std: 2 } }],
    (x) => tf.exp(x),
  );
  add(
    'math',
    'log',
    'transcendental',
    [{ name: 'x', shape: [40, 40], gen: { uniform: 0, low: 0.01, high: 20 } }],
    (x) => tf.log(x),
  );
  add(
    'math',
    'sqrt and rsqrt',
    'transcendental',
    [{ name: 'x', shape: [40, 40], gen: { uniform: 0, low: 0.01, high: 20 } }],
    (x) => tf.add(tf.sqrt(x), tf.rsqrt(x)),
  );
  add(
    'math',
    'pow (positive base, fractional exponent)',
    'transcendental',
    [
      { name: 'x', shape: [40, 40], gen: { uniform: 0, low: 0.1, high: 4 } },
      { name: 'p', shape: [40, 40], gen: { uniform: 0, low: -2, high: 2.5 } },
    ],
    (x, p) => tf.pow(x, p),
  );
  add(
    'math',
    'pow (negative base, integer exponents 2 and 3)',
    'transcendental',
    [{ name: 'x', shape: [40, 40], gen: { normal: 0, std: 2 } }],
    (x) => tf.add(tf.pow(x, 2), tf.pow(x, 3)),
  );
  add(
    'math',
    'add, sub, mul, div with broadcasting',
    'arith',
    [
      { name: 'a', shape: [24, 1, 16] },
      { name: 'b', shape: [1, 8, 16] },
      { name: 'c', shape: [16], gen: { uniform: 0, low: 0.5, high: 2 } },
    ],
    (a, b, c) => tf.div(tf.sub(tf.mul(tf.add(a, b), a), b), c),
  );
  add(
    'math',
    'abs, neg, square, squaredDifference',
    'arith',
    [
      { name: 'a', shape: [40, 40] },
      { name: 'b', shape: [40, 40] },
    ],
    (a, b) => tf.add(tf.add(tf.abs(a), tf.neg(tf.square(b))), tf.squaredDifference(a, b)),
  );
  add(
    'math',
    'maximum, minimum, clipByValue',
    'arith',
    [
      { name: 'a', shape: [40, 40] },
      { name: 'b', shape: [40, 40] },
    ],
    (a, b) => tf.add(tf.add(tf.maximum(a, b), tf.minimum(a, 0.3)), tf.clipByValue(b, -0.5, 0.7)),
  );
  add(
    'math',
    'addN',
    'arith',
    [
      { name: 'a', shape: [30, 30] },
      { name: 'b', shape: [30, 30] },
      { name: 'c', shape: [30, 30] },
    ],
    (a, b, c) => tf.addN([a, b, c]),
  );
  add(
    'math',
    'sin and cos on [-π, π]',
    'trig',
    [{ name: 'x', shape: [40, 40], gen: { uniform: 0, low: -Math.PI, high: Math.PI } }],
    (x) => [tf.sin(x), tf.cos(x)],
  );
  add(
    'math',
    'sin and cos of rotary angles (positions 0..511 × inverse frequencies)',
    'trigWide',
    [
      {
        name: 'positions',
        shape: [512, 1],
        gen: { values: Array.from({ length: 512 }, (_, i) => i) },
        grad: false,
      },
      {
        name: 'invFreq',
        shape: [1, 8],
        gen: { values: Array.from({ length: 8 }, (_, i) => 10_000 ** (-i / 8)) },
      },
    ],
    (pos, inv) => {
      const angles = tf.mul(pos, inv);
      return [tf.sin(angles), tf.cos(angles)];
    },
  );
  add(
    'math',
    'floor, sign, cast to int32',
    'exact',
    [{ name: 'x', shape: [40, 40], gen: { normal: 0, std: 4 } }],
    (x) => [tf.floor(x), tf.sign(x), tf.cast(x, 'int32')],
  );

  // ── reductions ──
  add(
    'reductions',
    'sum (all, axis 0, axis 1 keepDims)',
    'reduce',
    [{ name: 'x', shape: [70, 90] }],
    (x) => [tf.sum(x), tf.sum(x, 0), tf.sum(x, 1, true)],
  );
  add('reductions', 'mean (all, axis -1)', 'reduce', [{ name: 'x', shape: [70, 90] }], (x) => [
    tf.mean(x),
    tf.mean(x, -1),
  ]);
  add('reductions', 'max and min (axis 1)', 'exact', [{ name: 'x', shape: [70, 90] }], (x) => [
    tf.max(x, 1),
    tf.min(x, 1),
  ]);
  add(
    'reductions',
    'argMax (axis -1)',
    'exact',
    [{ name: 'x', shape: [70, 90], grad: false }],
    (x) => tf.argMax(x, -1),
  );
  add('reductions', 'euclidean norm (axis -1)', 'reduce', [{ name: 'x', shape: [70, 90] }], (x) =>
    tf.norm(x, 'euclidean', -1),
  );
  add(
    'reductions',
    'global gradient norm (sqrt of addN of sums of squares)',
    'reduce',
    [
      { name: 'a', shape: [50, 40] },
      { name: 'b', shape: [300] },
    ],
    (a, b) => tf.sqrt(tf.addN([tf.sum(tf.square(a)), tf.sum(tf.square(b))])),
  );
  add('reductions', 'cumsum (axis 1)', 'reduce', [{ name: 'x', shape: [30, 70] }], (x) =>
    tf.cumsum(x, 1),
  );
  add(
    'reductions',
    'cumsum (exclusive, reverse)',
    'reduce',
    [{ name: 'x', shape: [30, 70] }],
    (x) => tf.cumsum(x, 1, true, true),
  );
  // tfjs 4.22's Cumsum gradient transposes its result for any axis but the last (a
  // shape error on every backend): forward only.
  add(
    'reductions',
    'cumsum (axis 0)',
    'reduce',
    [{ name: 'x', shape: [30, 70], grad: false }],
    (x) => tf.cumsum(x, 0),
  );
  add(
    'reductions',
    'all and any of comparisons',
    'exact',
    [{ name: 'x', shape: [70, 90], grad: false }],
    (x) => [tf.all(tf.greater(x, -3), 1), tf.any(tf.greater(x, 2.5), 1)],
  );

  // ── indexing, scatter and segment sums ──
  add(
    'indexing',
    'gather rows (embedding lookup, repeated ids)',
    'exact',
    [
      { name: 'table', shape: [50, 24] },
      { name: 'ids', shape: [40], dtype: 'int32', gen: { ints: 50, below: 50 } },
    ],
    (table, ids) => tf.gather(table, ids),
    'reduce',
  );
  add(
    'indexing',
    'gather along axis 1 (pick logits)',
    'exact',
    [
      { name: 'x', shape: [12, 30] },
      { name: 'ids', shape: [7], dtype: 'int32', gen: { ints: 30, below: 30 } },
    ],
    (x, ids) => tf.gather(x, ids, 1),
    'reduce',
  );
  add(
    'indexing',
    'gather 2-D ids (batch × sequence)',
    'exact',
    [
      { name: 'table', shape: [40, 16] },
      { name: 'ids', shape: [4, 9], dtype: 'int32', gen: { ints: 40, below: 40 } },
    ],
    (table, ids) => tf.gather(table, ids),
    'reduce',
  );
  add(
    'indexing',
    'unsortedSegmentSum (message aggregation)',
    'reduce',
    [
      { name: 'x', shape: [60, 24] },
      { name: 'segments', shape: [60], dtype: 'int32', gen: { ints: 13, below: 13 } },
    ],
    (x, seg) => tf.unsortedSegmentSum(x, seg as tf.Tensor1D, 13),
  );
  add(
    'indexing',
    'unsortedSegmentSum with ids outside [0, numSegments) (dropped)',
    'reduce',
    [
      // The gradient gathers dy at the ids, and out-of-range ids make cpu's gather throw.
      { name: 'x', shape: [20, 6], grad: false },
      {
        name: 'segments',
        shape: [20],
        dtype: 'int32',
        gen: { values: [0, 1, 2, 3, 4, -1, 5, 6, 7, 8, 9, 10, 3, 2, 1, 0, 11, -2, 1, 2] },
      },
    ],
    (x, seg) => tf.unsortedSegmentSum(x, seg as tf.Tensor1D, 8),
  );
  add(
    'indexing',
    'gatherND (node pairs)',
    'exact',
    [
      // tfjs registers no gradient for GatherNd or ScatterNd: forward only.
      { name: 'x', shape: [10, 12, 3], grad: false },
      {
        name: 'indices',
        shape: [15, 2],
        dtype: 'int32',
        gen: {
          values: [
            0, 0, 1, 2, 9, 11, 3, 4, 5, 6, 7, 8, 2, 2, 0, 11, 9, 0, 4, 4, 1, 2, 8, 3, 6, 10, 5, 1,
            7, 7,
          ],
        },
      },
    ],
    (x, indices) => tf.gatherND(x, indices),
    'reduce',
  );
  add(
    'indexing',
    'scatterND (distinct indices)',
    'exact',
    [
      { name: 'indices', shape: [5, 1], dtype: 'int32', gen: { values: [4, 0, 7, 2, 9] } },
      { name: 'updates', shape: [5, 6], grad: false },
    ],
    (indices, updates) => tf.scatterND(indices, updates, [10, 6]),
  );
  add(
    'indexing',
    'oneHot',
    'exact',
    [{ name: 'ids', shape: [30], dtype: 'int32', gen: { ints: 12, below: 12 } }],
    (ids) => tf.oneHot(ids, 12),
  );

  // ── shape and data movement ──
  add(
    'shape',
    'slice, concat, reshape, transpose',
    'exact',
    [
      { name: 'a', shape: [24, 36] },
      { name: 'b', shape: [24, 12] },
    ],
    (a, b) =>
      tf.transpose(
        tf.reshape(
          tf.concat([tf.slice(a, [3, 5], [18, 20]), tf.slice(b, [2, 0], [18, 12])], 1),
          [9, 2, 32],
        ),
        [2, 0, 1],
      ),
  );
  add(
    'shape',
    'split heads: reshape + transpose [0, 2, 1, 3] and back',
    'exact',
    [{ name: 'x', shape: [2, 16, 32] }],
    (x) => {
      const heads = tf.transpose(tf.reshape(x, [2, 16, 4, 8]), [0, 2, 1, 3]);
      return [heads, tf.reshape(tf.transpose(tf.mul(heads, 2), [0, 2, 1, 3]), [2, 16, 32])];
    },
  );
  add(
    'shape',
    'concat of three along axis 1, split into three',
    'exact',
    [
      { name: 'a', shape: [10, 5] },
      { name: 'b', shape: [10, 7] },
      { name: 'c', shape: [10, 3] },
    ],
    (a, b, c) => {
      const [p, q, r] = tf.split(tf.concat([a, b, c], 1), [4, 6, 5], 1);
      return tf.concat([r, p, q], 1);
    },
  );
  add(
    'shape',
    'pad, tile, stack, reverse, expandDims',
    'exact',
    [{ name: 'x', shape: [12, 9] }],
    (x) => [
      tf.pad(x, [
        [1, 2],
        [0, 3],
      ]),
      tf.tile(x, [2, 3]),
      tf.stack([x, tf.reverse(x, 1)], 0),
      tf.expandDims(x, 1),
    ],
  );
  add(
    'shape',
    'where (select by comparison)',
    'exact',
    [
      { name: 'a', shape: [40, 40] },
      { name: 'b', shape: [40, 40] },
    ],
    (a, b) => tf.where(tf.greater(a, b), a, tf.mul(b, 0.5)),
    'arith',
  );
  add(
    'shape',
    'comparisons and logical ops',
    'exact',
    [
      { name: 'a', shape: [40, 40], gen: { ints: 5, below: 5 }, grad: false },
      { name: 'b', shape: [40, 40], gen: { ints: 5, below: 5 }, grad: false },
    ],
    (a, b) => [
      tf.equal(a, b),
      tf.notEqual(a, b),
      tf.lessEqual(a, b),
      tf.logicalOr(tf.greater(a, 3), tf.less(b, 1)),
      tf.logicalAnd(tf.greaterEqual(a, 2), tf.logicalNot(tf.equal(b, 0))),
    ],
  );

  // ── non-finite values: where NaN and ±Inf come out must not move ──
  const special = [0, -0, 1, -1, 0.5, -2, 3e38, -3e38, 1e-30, 100, -100, 89, 88.8, -104, 1e30, 2];
  add(
    'non-finite',
    'isFinite, isNaN, exp/log/sqrt/div at the edges',
    'transcendental',
    [{ name: 'x', shape: [special.length], gen: { values: special }, grad: false }],
    (x) => {
      const y = tf.concat([x, tf.div(x, 0), tf.log(x), tf.sqrt(x), tf.exp(x)]);
      return [tf.isFinite(y), tf.isNaN(y), y, tf.mul(x, 1e10), tf.maximum(y, 0.5)];
    },
  );
  return out;
}
