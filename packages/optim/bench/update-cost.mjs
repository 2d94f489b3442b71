// Update cost per million parameters for every @kd/optim optimiser on the
// wasm backend, with tfjs' own tf.train optimisers timed in the same run as
// the baseline (ratio = kd / tfjs for the pairs tfjs has). One "step" is a
// full optimiser update of ~1.05M float32 parameters in four tensors,
// gradients precomputed; kd's step includes its non-finite gradient check.
import { initBackend } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { report, time } from '../../../scripts/bench.mjs';
import { createOptimizer, optimizerOptions } from '../dist/index.js';

const info = await initBackend({ backend: 'wasm' });
const shapes = {
  'encoder.layer.0.intermediate.dense.weight': [1024, 512],
  'encoder.layer.0.intermediate.dense.bias': [512],
  'encoder.layer.0.output.dense.weight': [512, 1024],
  'encoder.layer.0.output.dense.bias': [512],
};
const numParams = Object.values(shapes).reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
const millions = numParams / 1e6;
let serial = 0;

function fresh() {
  return tf.tidy(() => {
    const vars = {};
    const grads = {};
    for (const [name, shape] of Object.entries(shapes)) {
      vars[name] = tf.variable(
        tf.randomUniform(shape, -0.1, 0.1, 'float32', 1),
        true,
        `${name}#${serial++}`,
      );
      grads[name] = tf.keep(tf.randomNormal(shape, 0, 0.01, 'float32', 2));
    }
    return { vars, grads };
  });
}

const timing = { warmup: 3, iters: 15 };
const rows = [];

// Baselines: tf.train optimisers, keyed by tf variable name.
const tfjs = {
  sgd: () => tf.train.sgd(1e-3),
  momentum: () => tf.train.momentum(1e-3, 0.9),
  adagrad: () => tf.train.adagrad(1e-2),
  rmsprop: () => tf.train.rmsprop(1e-2, 0.99, 0, 1e-8),
  adadelta: () => tf.train.adadelta(1, 0.9, 1e-6),
  adam: () => tf.train.adam(1e-3, 0.9, 0.999, 1e-8),
  adamax: () => tf.train.adamax(2e-3, 0.9, 0.999, 1e-8),
};
const baselineMs = {};
for (const [name, make] of Object.entries(tfjs)) {
  const { vars, grads } = fresh();
  const opt = make();
  const named = Object.fromEntries(Object.entries(grads).map(([n, g]) => [vars[n].name, g]));
  const t = await time(() => opt.applyGradients(named), timing);
  baselineMs[name] = t.medianMs;
  rows.push({
    optimizer: `tf.train.${name}`,
    msPerStep: t.medianMs,
    msPerMParams: t.medianMs / millions,
  });
  opt.dispose();
  tf.dispose([...Object.values(vars), ...Object.values(grads)]);
}

// kd: every registry optimiser (torch defaults), plus momentum SGD and a full training chain.
const kd = Object.keys(optimizerOptions).map((id) => [id, id, {}]);
kd.splice(1, 0, ['sgd (momentum 0.9)', 'sgd', { momentum: 0.9 }]);
kd.push([
  'adamw + clip + noDecay + ema',
  'adamw',
  { clipGradNorm: 1, noDecay: ['bias'], emaDecay: 0.999 },
]);
const counterpart = {
  sgd: 'sgd',
  'sgd (momentum 0.9)': 'momentum',
  adagrad: 'adagrad',
  rmsprop: 'rmsprop',
  adadelta: 'adadelta',
  adam: 'adam',
  adamax: 'adamax',
};
for (const [label, id, options] of kd) {
  const { vars, grads } = fresh();
  const opt = createOptimizer(id, options);
  const t = await time(() => opt.step(vars, grads), timing);
  const base = counterpart[label];
  rows.push({
    optimizer: `kd ${label}`,
    msPerStep: t.medianMs,
    msPerMParams: t.medianMs / millions,
    vsTfjs: base ? `${(t.medianMs / baselineMs[base]).toFixed(2)}× tf.train.${base}` : '',
  });
  opt.dispose();
  tf.dispose([...Object.values(vars), ...Object.values(grads)]);
}

report('optim-update-cost', rows, {
  backend: info.backend,
  simd: info.simd,
  threads: info.threads,
  params: numParams,
  note: 'median of 15 steps after 3 warm-up steps; ratio < 1 means kd is faster',
});
