/**
 * A small real training run for the kill-and-resume test (resume.test.ts
 * bundles this file and runs it in child processes): an embedding + linear
 * classifier trained with SGD + momentum on the wasm backend, batches and a
 * dropout mask drawn from seeded Rng streams, a checkpoint every `--every`
 * steps through DirectoryCheckpointStore. On start it resumes from the
 * latest checkpoint if there is one.
 *
 *   node child.mjs --dir D --steps N --every K --out result.json [--slow-after S]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import {
  fromStoredTensor,
  initBackend,
  Rng,
  type StoredTensor,
  toStoredTensor,
} from '../src/index.js';
import { DirectoryCheckpointStore, writeFileAtomic } from '../src/node/index.js';

const { values: args } = parseArgs({
  options: {
    dir: { type: 'string' },
    steps: { type: 'string' },
    every: { type: 'string' },
    out: { type: 'string' },
    'slow-after': { type: 'string' },
  },
});
const STEPS = Number(args.steps);
const EVERY = Number(args.every);
const SLOW_AFTER = args['slow-after'] === undefined ? Infinity : Number(args['slow-after']);

const VOCAB = 40;
const DIM = 8;
const CLASSES = 4;
const SEQ = 5;
const BATCH = 8;
const EXAMPLES = 64;
const LR = 0.5;
const MOMENTUM = 0.9;
const KEEP = 0.9;

await initBackend({ backend: 'wasm', threads: 1 });

// The dataset: fixed, from its own seed; the label is a function of the tokens.
const dataRng = new Rng('resume-dataset');
const tokens = Int32Array.from({ length: EXAMPLES * SEQ }, () => dataRng.int(VOCAB));
const labels = Int32Array.from({ length: EXAMPLES }, (_, i) => {
  let s = 0;
  for (let j = 0; j < SEQ; j++) s += tokens[i * SEQ + j];
  return s % CLASSES;
});

const init = new Rng(7);
const params: Record<string, tf.Variable> = {
  'embed.weight': tf.variable(
    tf.tensor(init.normalArray(VOCAB * DIM, 0, 0.5), [VOCAB, DIM]),
    true,
    'embed.weight',
  ),
  'head.weight': tf.variable(
    tf.tensor(init.normalArray(DIM * CLASSES, 0, 0.5), [DIM, CLASSES]),
    true,
    'head.weight',
  ),
  'head.bias': tf.variable(tf.zeros([CLASSES]), true, 'head.bias'),
};
const momentum: Record<string, tf.Variable> = Object.fromEntries(
  Object.entries(params).map(([k, v]) => [k, tf.variable(tf.zerosLike(v), false, `${k}/momentum`)]),
);
let order = new Rng('batch-order');
let dropout = new Rng('dropout');
let losses: number[] = [];
let step = 0;

const store = new DirectoryCheckpointStore(args.dir!, { keep: 2 });
const latest = await store.latest();
if (latest) {
  const assign = (target: tf.Variable, stored: StoredTensor) => {
    const t = fromStoredTensor(stored);
    target.assign(t);
    t.dispose();
  };
  for (const [k, v] of Object.entries(params)) assign(v, latest.params[k]);
  for (const [k, v] of Object.entries(momentum))
    assign(v, latest.optimizer!.tensors[`${k}/momentum`]);
  order = Rng.fromState(latest.rng!.order);
  dropout = Rng.fromState(latest.rng!.dropout);
  losses = (latest.extra!.losses as number[]).slice();
  step = latest.step;
  process.stdout.write(`resumed ${step}\n`);
}

function lossFn(ids: tf.Tensor, y: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  const h = tf.div(tf.mul(tf.mean(tf.gather(params['embed.weight'], ids), 1), mask), KEEP);
  const logits = tf.add(tf.matMul(h, params['head.weight']), params['head.bias']);
  return tf.neg(
    tf.mean(tf.sum(tf.mul(tf.oneHot(y, CLASSES), tf.logSoftmax(logits)), -1)),
  ) as tf.Scalar;
}

let tensorsAfterFirstStep = -1;
while (step < STEPS) {
  const rows = Array.from({ length: BATCH }, () => order.int(EXAMPLES));
  const ids = tf.tensor2d(
    Int32Array.from(rows.flatMap((r) => Array.from(tokens.subarray(r * SEQ, (r + 1) * SEQ)))),
    [BATCH, SEQ],
    'int32',
  );
  const y = tf.tensor1d(
    Int32Array.from(rows, (r) => labels[r]),
    'int32',
  );
  const mask = tf.tensor2d(
    Float32Array.from(dropout.uniformArray(BATCH * DIM), (u) => (u < KEEP ? 1 : 0)),
    [BATCH, DIM],
  );
  const { value, grads } = tf.variableGrads(() => lossFn(ids, y, mask), Object.values(params));
  tf.tidy(() => {
    for (const [k, p] of Object.entries(params)) {
      const v = tf.add(tf.mul(momentum[k], MOMENTUM), grads[k]);
      momentum[k].assign(v);
      p.assign(tf.sub(p, tf.mul(v, LR)));
    }
  });
  losses.push((await value.data())[0]);
  tf.dispose([value, ...Object.values(grads), ids, y, mask]);
  step++;
  if (tensorsAfterFirstStep < 0) tensorsAfterFirstStep = tf.memory().numTensors;
  process.stdout.write(`step ${step}\n`);
  if (step % EVERY === 0) {
    await store.save({
      step,
      params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, toStoredTensor(v)])),
      optimizer: {
        tensors: Object.fromEntries(
          Object.entries(momentum).map(([k, v]) => [`${k}/momentum`, toStoredTensor(v)]),
        ),
        scalars: { lr: LR, momentum: MOMENTUM },
      },
      rng: { order: order.getState(), dropout: dropout.getState() },
      extra: { losses },
    });
  }
  // Slows the tail so the test's SIGKILL lands mid-run; changes no numbers.
  if (step >= SLOW_AFTER) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25);
}

const result = {
  params: Object.fromEntries(
    Object.entries(params).map(([k, v]) => {
      const a = v.dataSync() as Float32Array;
      return [k, Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64')];
    }),
  ),
  losses,
  tensorsAfterFirstStep,
  tensorsAtEnd: tf.memory().numTensors,
};
await writeFileAtomic(args.out!, JSON.stringify(result));
