import { AbortedError, initBackend, MemoryCheckpointStore, Rng } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BertForMaskedLM,
  causalLmLoss,
  crossEntropy,
  IGNORE_INDEX,
  LlamaForCausalLM,
  type LmBatch,
  maskTokens,
  type StepOptimizer,
  trainLanguageModel,
} from '../src/index.js';
import * as ref from './reference.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('BERT masking (80/10/10)', () => {
  const options = { maskTokenId: 4, vocabSize: 100, specialTokenIds: [0, 1, 2] };

  it('selects 15% of non-special tokens; of those 80% [MASK], 10% random, 10% kept (4 sd)', () => {
    const rng = new Rng(1);
    const rows = Array.from({ length: 400 }, () => [
      1,
      ...Array.from({ length: 48 }, () => 5 + rng.int(95)),
      2,
      0,
    ]);
    const { inputIds, labels } = maskTokens(rows, new Rng(2), options);
    let selected = 0;
    let masked = 0;
    let kept = 0;
    let randomised = 0;
    rows.forEach((row, r) => {
      row.forEach((tok, i) => {
        if (labels[r][i] === IGNORE_INDEX) {
          expect(inputIds[r][i]).toBe(tok);
          return;
        }
        expect([0, 1, 2]).not.toContain(tok);
        expect(labels[r][i]).toBe(tok);
        selected++;
        if (inputIds[r][i] === 4) masked++;
        else if (inputIds[r][i] === tok) kept++;
        else randomised++;
      });
    });
    const n = 400 * 48;
    const sd = (p: number, m: number) => Math.sqrt(m * p * (1 - p));
    expect(Math.abs(selected - 0.15 * n)).toBeLessThan(4 * sd(0.15, n));
    expect(Math.abs(masked - 0.8 * selected)).toBeLessThan(4 * sd(0.8, selected));
    // A random replacement can draw the original token (1 in 100): "kept" is 10% + 0.1%.
    expect(Math.abs(randomised - 0.1 * 0.99 * selected)).toBeLessThan(4 * sd(0.099, selected));
    expect(Math.abs(kept - 0.101 * selected)).toBeLessThan(4 * sd(0.101, selected));
  });

  it('is reproducible per seed, skips padding by attention mask, and validates probabilities', () => {
    const rows = [[7, 8, 9, 10, 11, 12, 13, 14]];
    const a = maskTokens(rows, new Rng(5), { ...options, mlmProbability: 0.5 });
    expect(maskTokens(rows, new Rng(5), { ...options, mlmProbability: 0.5 })).toEqual(a);
    const none = maskTokens(rows, new Rng(5), { ...options, mlmProbability: 1 }, [
      [0, 0, 0, 0, 0, 0, 0, 0],
    ]);
    expect(none.labels[0].every((l) => l === IGNORE_INDEX)).toBe(true);
    expect(() =>
      maskTokens(rows, new Rng(5), { ...options, maskReplaceProb: 0.95, randomReplaceProb: 0.1 }),
    ).toThrow(/maskReplaceProb \+ randomReplaceProb ≤ 1/);
  });
});

describe('losses', () => {
  it('crossEntropy ignores −100 labels and matches −log softmax (1e-5)', () => {
    const rng = new Rng(3);
    const logits = ref.randn(rng, 2 * 3 * 5, 2);
    const labels = [
      [1, -100, 4],
      [0, 2, -100],
    ];
    let sum = 0;
    let n = 0;
    labels.flat().forEach((l, i) => {
      if (l === -100) return;
      const row = logits.subarray(i * 5, i * 5 + 5);
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
      sum += lse - row[l];
      n++;
    });
    const got = ref.tidy(
      () =>
        crossEntropy(
          tf.tensor(Float32Array.from(logits), [2, 3, 5]),
          tf.tensor2d(labels, [2, 3], 'int32'),
        ).dataSync()[0],
    );
    expect(Math.abs(got - sum / n)).toBeLessThan(1e-5);
    const none = ref.tidy(
      () => crossEntropy(tf.zeros([1, 2, 5]), tf.fill([1, 2], -100, 'int32')).dataSync()[0],
    );
    expect(none === 0).toBe(true);
  });

  it('causalLmLoss predicts token t+1 from position t and ignores padding', () => {
    const rng = new Rng(4);
    const logits = ref.randn(rng, 1 * 4 * 6);
    const ids = [[2, 5, 1, 0]];
    const mask = [[1, 1, 1, 0]];
    // Positions 0 and 1 predict 5 and 1; position 2 would predict padding.
    let sum = 0;
    for (const [t, target] of [
      [0, 5],
      [1, 1],
    ]) {
      const row = logits.subarray(t * 6, t * 6 + 6);
      sum += Math.log(row.reduce((s, v) => s + Math.exp(v), 0)) - row[target];
    }
    const got = ref.tidy(
      () =>
        causalLmLoss(tf.tensor(Float32Array.from(logits), [1, 4, 6]), ids, {
          attentionMask: mask,
        }).dataSync()[0],
    );
    expect(Math.abs(got - sum / 2)).toBeLessThan(1e-5);
  });
});

/** Character-level ids of a real text, cut into fixed windows by step (seeded). */
const TEXT =
  'First Citizen: Before we proceed any further, hear me speak. All: Speak, speak. First Citizen: You are all resolved rather to die than to famish? All: Resolved. resolved.';
const chars = [...new Set(TEXT)].sort();
const stream = [...TEXT].map((c) => chars.indexOf(c) + 5);
const VOCAB = chars.length + 5;
function windows(seed: number, batch: number, len: number) {
  return (step: number): LmBatch => {
    const rng = new Rng(seed).fork(`batch:${step}`);
    return {
      inputIds: Array.from({ length: batch }, () => {
        const s = rng.int(stream.length - len);
        return stream.slice(s, s + len);
      }),
    };
  };
}

const llamaConfig = {
  vocabSize: VOCAB,
  hiddenSize: 16,
  intermediateSize: 32,
  numHiddenLayers: 1,
  numAttentionHeads: 2,
  maxPositionEmbeddings: 32,
  tieWordEmbeddings: true,
};
const bertConfig = {
  vocabSize: VOCAB,
  hiddenSize: 16,
  numHiddenLayers: 1,
  numAttentionHeads: 2,
  intermediateSize: 32,
  maxPositionEmbeddings: 32,
  hiddenDropoutProb: 0.1,
};

describe('trainLanguageModel', () => {
  it('causal LM: loss falls on real text and tensors stay flat over steps', async () => {
    const model = new LlamaForCausalLM(llamaConfig, { seed: 1 });
    const optimizer = tf.train.adam(0.02);
    const counts: number[] = [];
    const { losses } = await trainLanguageModel({
      model,
      objective: 'clm',
      data: windows(1, 4, 16),
      optimizer,
      steps: 30,
      onStep: () => counts.push(tf.memory().numTensors),
    });
    expect(losses).toHaveLength(30);
    const first = (losses[0] + losses[1] + losses[2]) / 3;
    const last = (losses[27] + losses[28] + losses[29]) / 3;
    expect(losses[0]).toBeCloseTo(Math.log(VOCAB), 0);
    expect(last).toBeLessThan(first * 0.8);
    // Adam's slots appear in step 1; after that the count never moves.
    expect(new Set(counts.slice(1)).size).toBe(1);
    optimizer.dispose();
    model.dispose();
  });

  it('masked LM with dropout, a kd-style StepOptimizer, gradient clipping, frozen embeddings', async () => {
    const model = new BertForMaskedLM(bertConfig, { seed: 2 });
    model.freeze('bert.embeddings');
    const frozen = Array.from(
      model.getParameter('bert.embeddings.word_embeddings.weight').dataSync(),
    );
    const seen: string[][] = [];
    const sgd: StepOptimizer = {
      step(params, grads) {
        seen.push(Object.keys(grads));
        for (const [k, g] of Object.entries(grads))
          tf.tidy(() => params[k].assign(tf.sub(params[k], tf.mul(g, 0.5))));
      },
    };
    const data = (step: number): LmBatch => {
      const b = windows(2, 4, 12)(step);
      return { inputIds: b.inputIds.map((r) => [1, ...r, 2]) };
    };
    const { losses } = await trainLanguageModel({
      model,
      objective: 'mlm',
      data,
      optimizer: sgd,
      steps: 40,
      clipGradNorm: 1,
      masking: {
        maskTokenId: 3,
        vocabSize: VOCAB,
        specialTokenIds: [0, 1, 2],
        mlmProbability: 0.3,
      },
    });
    expect(seen[0]).not.toContain('bert.embeddings.word_embeddings.weight');
    expect(seen[0]).toContain('cls.predictions.bias');
    expect(
      Array.from(model.getParameter('bert.embeddings.word_embeddings.weight').dataSync()),
    ).toEqual(frozen);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-8))).toBeLessThan(mean(losses.slice(0, 8)));
    model.dispose();
  });

  it('a run resumed from a checkpoint ends bit-identical to an uninterrupted one (Adam, dropout)', async () => {
    const run = async (stopAt: number | undefined, store: MemoryCheckpointStore) => {
      const model = new BertForMaskedLM(bertConfig, { seed: 3 });
      const optimizer = tf.train.adam(0.01);
      const controller = new AbortController();
      const options = {
        model,
        objective: 'mlm' as const,
        data: (step: number) => {
          const b = windows(3, 2, 10)(step);
          return { inputIds: b.inputIds.map((r) => [1, ...r, 2]) };
        },
        optimizer,
        steps: 6,
        masking: { maskTokenId: 3, vocabSize: VOCAB, specialTokenIds: [0, 1, 2] },
        checkpoints: store,
        signal: controller.signal,
        onStep: ({ step }: { step: number }) => {
          if (step + 1 === stopAt) controller.abort();
        },
      };
      let result: Awaited<ReturnType<typeof trainLanguageModel>> | undefined;
      try {
        result = await trainLanguageModel(options);
      } catch (error) {
        expect(error).toBeInstanceOf(AbortedError);
      }
      const weights = Object.fromEntries(
        model.namedParameters().map(([k, p]) => [k, Array.from(p.dataSync())]),
      );
      model.dispose();
      optimizer.dispose();
      return { weights, result };
    };
    const straight = await run(undefined, new MemoryCheckpointStore());
    const store = new MemoryCheckpointStore();
    const stopped = await run(3, store);
    expect(stopped.result).toBeUndefined();
    expect((await store.latest())?.step).toBe(3);
    const resumed = await run(undefined, store);
    expect(resumed.result?.resumedFrom).toBe(3);
    expect(resumed.result?.losses).toHaveLength(3);
    expect(resumed.weights).toEqual(straight.weights);
    expect(straight.result?.losses.slice(3)).toEqual(resumed.result?.losses);
  });
});
