import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import {
  AbortedError,
  type CheckpointState,
  defineEntry,
  FormatError,
  fromStoredTensor,
  Rng,
  type Task,
  type TaskContext,
  type TaskResult,
  toStoredTensor,
} from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';

const BUNDLED = fileURLToPath(new URL('../data/sst2-dev.tsv.gz', import.meta.url));

const options = z.strictObject({
  /** A GLUE-style TSV (`sentence<TAB>label` with a header), gzip or plain; default: bundled SST-2 dev. */
  data: z.string().optional(),
  epochs: z.number().int().positive().default(60),
  lr: z.number().positive().default(0.5),
  l2: z.number().nonnegative().default(1e-3),
  testFraction: z.number().gt(0).lt(1).default(0.25),
  minCount: z.number().int().positive().default(2),
});
type Options = z.output<typeof options>;

interface Example {
  tokens: string[];
  label: number;
}

/** SST-2 text is already tokenised; lowercase and split on whitespace. */
export function tokenize(sentence: string): string[] {
  return sentence.toLowerCase().split(/\s+/).filter(Boolean);
}

function readTsv(path: string): Example[] {
  const raw = readFileSync(path);
  const text = (path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return lines.slice(1).map((line, i) => {
    const cut = line.lastIndexOf('\t');
    const label = Number(line.slice(cut + 1));
    if (cut < 0 || (label !== 0 && label !== 1)) {
      throw new FormatError(
        `expected "sentence<TAB>0|1", got ${JSON.stringify(line.slice(0, 60))}`,
        {
          where: `${path}:${i + 2}`,
        },
      );
    }
    return { tokens: tokenize(line.slice(0, cut)), label };
  });
}

function featurize(examples: Example[], vocab: Map<string, number>): tf.Tensor2D {
  const x = new Float32Array(examples.length * vocab.size);
  examples.forEach((e, row) => {
    for (const t of e.tokens) {
      const j = vocab.get(t);
      if (j !== undefined) x[row * vocab.size + j] = 1;
    }
  });
  return tf.tensor2d(x, [examples.length, vocab.size]);
}

export interface BagOfWordsResult {
  accuracy: number;
  majorityAccuracy: number;
  losses: number[];
  vocabSize: number;
  train: number;
  test: number;
}

/**
 * Binary bag-of-words logistic regression trained by full-batch gradient
 * descent, checkpointed every epoch through the task context so a stopped
 * run resumes where it was.
 */
export async function trainBagOfWords(opts: Options, ctx: TaskContext): Promise<BagOfWordsResult> {
  const examples = readTsv(opts.data ? (ctx.resolvePath?.(opts.data) ?? opts.data) : BUNDLED);
  const order = new Rng(ctx.seed).permutation(examples.length);
  const nTest = Math.round(examples.length * opts.testFraction);
  const test = order.slice(0, nTest).map((i) => examples[i]);
  const train = order.slice(nTest).map((i) => examples[i]);

  const counts = new Map<string, number>();
  for (const e of train) for (const t of new Set(e.tokens)) counts.set(t, (counts.get(t) ?? 0) + 1);
  const vocab = new Map(
    [...counts].filter(([, c]) => c >= opts.minCount).map(([t], i) => [t, i] as const),
  );

  const xTrain = featurize(train, vocab);
  const yTrain = tf.tensor1d(train.map((e) => e.label));
  const xTest = featurize(test, vocab);
  const w = tf.variable(tf.zeros([vocab.size, 1]));
  const b = tf.variable(tf.zeros([1]));
  let losses: number[] = [];
  let start = 0;

  const resumed = await ctx.checkpoints.latest();
  if (resumed) {
    w.assign(fromStoredTensor(resumed.params.w) as tf.Tensor2D);
    b.assign(fromStoredTensor(resumed.params.b) as tf.Tensor1D);
    losses = (resumed.extra?.losses as number[]) ?? [];
    start = resumed.step;
  }

  const stage = ctx.progress.stage('bag-of-words sentiment', opts.epochs, 'epochs');
  stage.tick(start);
  try {
    for (let epoch = start; epoch < opts.epochs; epoch++) {
      const loss = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => {
          const logits = tf.add(tf.matMul(xTrain, w), b).reshape([-1]);
          const data = tf.losses.sigmoidCrossEntropy(yTrain, logits);
          return tf.add(data, tf.mul(opts.l2, tf.sum(tf.square(w)))) as tf.Scalar;
        });
        w.assign(tf.sub(w, tf.mul(opts.lr, grads[w.name])));
        b.assign(tf.sub(b, tf.mul(opts.lr, grads[b.name])));
        return value.dataSync()[0];
      });
      losses.push(loss);
      const state: CheckpointState = {
        step: epoch + 1,
        params: { w: toStoredTensor(w), b: toStoredTensor(b) },
        extra: { losses },
      };
      await ctx.checkpoints.save(state);
      stage.tick(1, { loss });
      if (ctx.signal.aborted && epoch + 1 < opts.epochs) throw new AbortedError();
    }
    stage.done();

    const predicted = tf.tidy(() =>
      Array.from(tf.add(tf.matMul(xTest, w), b).reshape([-1]).dataSync(), (z) => (z > 0 ? 1 : 0)),
    );
    const correct = predicted.filter((p, i) => p === test[i].label).length;
    const positives = train.filter((e) => e.label === 1).length;
    const majority = positives * 2 >= train.length ? 1 : 0;
    return {
      accuracy: correct / test.length,
      majorityAccuracy: test.filter((e) => e.label === majority).length / test.length,
      losses,
      vocabSize: vocab.size,
      train: train.length,
      test: test.length,
    };
  } finally {
    tf.dispose([xTrain, yTrain, xTest, w, b]);
  }
}

export const bowSentiment = defineEntry({
  kind: 'task',
  id: 'bow-sentiment',
  description: 'bag-of-words logistic regression on SST-2 sentences (a plugin template)',
  options,
  create: (opts): Task => ({
    async run(ctx): Promise<TaskResult> {
      const r = await trainBagOfWords(opts, ctx);
      return {
        task: 'bow-sentiment',
        title: 'Bag-of-words sentiment (SST-2 dev, seeded split)',
        summary: { accuracy: r.accuracy, majority_accuracy: r.majorityAccuracy },
        tables: [
          {
            id: 'accuracy',
            title: `Held-out accuracy (${r.train} train / ${r.test} test sentences, ${r.vocabSize} words)`,
            columns: [
              { key: 'model', label: 'model', format: 'text' },
              { key: 'accuracy', label: 'accuracy %', format: 'pct' },
            ],
            rows: [
              { model: 'majority class', accuracy: r.majorityAccuracy },
              { model: 'bag-of-words logistic regression', accuracy: r.accuracy },
            ],
          },
        ],
        plots: [
          {
            id: 'loss',
            title: 'Training loss',
            kind: 'line',
            xLabel: 'epoch',
            yLabel: 'loss',
            lines: [{ name: 'train', x: r.losses.map((_, i) => i + 1), y: r.losses }],
          },
        ],
      };
    },
  }),
});
