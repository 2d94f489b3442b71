import { KdError, NumericError, Registry, ShapeError, ValidationError } from '@kd/core';
import { describe, expect, it } from 'vitest';
import {
  accuracyScore,
  cer,
  corpusBleu,
  corpusChrf,
  f1Score,
  linkPrediction,
  metrics,
  nmtBleu,
  pearsonr,
  perplexity,
  plugin,
  rocAucScore,
  rouge,
  sentenceBleu,
  squad,
  wer,
} from '../src/index.js';

const preds = [
  'The quick brown fox jumps over the lazy dog.',
  'A stitch in time saves nine!',
  'To be, or not to be: that is the question.',
  'All that glitters is not gold',
  'Brevity is the soul of wit.',
];
const refs = [
  'The quick brown fox jumped over a lazy dog.',
  'A stitch in time saves nine.',
  'To be or not to be, that is the question.',
  'All that glisters is not gold.',
  'Brevity is the soul of wit',
];

describe('registry entries', () => {
  it('the plugin provides one metric:<id> entry per metric and registers cleanly', () => {
    const reg = Registry.isolated();
    reg.register(plugin);
    const ids = reg.list('metric').map((e) => e.id);
    expect(ids).toEqual(Object.keys(metrics).sort());
    expect(ids).toEqual(
      expect.arrayContaining([
        'sacrebleu',
        'chrf',
        'rouge',
        'wer',
        'cer',
        'f1',
        'roc_auc',
        'squad',
        'glue',
        'perplexity',
        'seqeval',
      ]),
    );
    // Registering the same plugin again is a no-op.
    reg.register(plugin);
  });

  it('registry.create validates options: unknown option and bad value are ValidationErrors naming the entry', () => {
    const reg = Registry.isolated();
    reg.register(plugin);
    expect(() => reg.create('metric', 'sacrebleu', { tokenizer: '13a' })).toThrow(
      /unknown option "tokenizer"/,
    );
    expect(() => reg.create('metric', 'sacrebleu', { smooth_method: 'laplace' })).toThrow(
      ValidationError,
    );
    expect(() => reg.create('metric', 'chrf', { char_order: 0 })).toThrow(/char_order/);
    const m = reg.create<{ compute(b: unknown): { score: number } }>('metric', 'sacrebleu', {
      tokenize: 'intl',
    });
    expect(m.compute({ predictions: preds, references: refs }).score).toBeCloseTo(
      corpusBleu(preds, refs, { tokenize: 'intl' }).score,
      12,
    );
  });

  it('pure functions reject unknown options the same way', () => {
    expect(() => corpusBleu(preds, refs, { smoothing: 'exp' } as never)).toThrow(
      /unknown option "smoothing"/,
    );
    expect(() => wer(preds, refs, { transform: 'x' } as never)).toThrow(ValidationError);
    expect(() => rouge(preds, refs, { rouge_types: ['rougeX'] })).toThrow(ValidationError);
  });
});

describe('streaming accumulators equal one-shot compute', () => {
  it('text metrics: add() one by one and addBatch() in pieces give the one-shot result exactly', () => {
    const batch = { predictions: preds, references: refs };
    for (const id of ['sacrebleu', 'bleu', 'chrf', 'rouge', 'wer', 'cer'] as const) {
      const metric = metrics[id].create();
      const whole = metric.compute(batch as never);
      const acc = metric.accumulator();
      preds.forEach((p, i) => {
        acc.add({ prediction: p, reference: refs[i] } as never);
      });
      expect(acc.compute(), id).toEqual(whole);
      expect(acc.size).toBe(5);
      const acc2 = metric.accumulator();
      acc2.addBatch({ predictions: preds.slice(0, 2), references: refs.slice(0, 2) } as never);
      acc2.addBatch({ predictions: preds.slice(2), references: refs.slice(2) } as never);
      expect(acc2.compute(), id).toEqual(whole);
      // compute() does not consume; reset() forgets.
      expect(acc2.compute(), id).toEqual(whole);
      acc2.reset();
      expect(acc2.size).toBe(0);
    }
  });

  it('classification and ranking metrics stream too (with sample weights)', () => {
    const yt = [0, 1, 2, 2, 1, 0, 1, 2];
    const yp = [0, 2, 2, 1, 1, 0, 0, 2];
    const w = [1, 0.5, 2, 1, 1, 3, 0.25, 1];
    for (const id of [
      'accuracy',
      'precision',
      'recall',
      'f1',
      'matthews_correlation',
      'confusion_matrix',
    ] as const) {
      const opts =
        id === 'precision' || id === 'recall' || id === 'f1' ? { average: 'macro' as const } : {};
      const metric = metrics[id].create(opts as never);
      const whole = metric.compute({ predictions: yp, references: yt, sample_weight: w } as never);
      const acc = metric.accumulator();
      yt.forEach((t, i) => {
        acc.add({ prediction: yp[i], reference: t, sample_weight: w[i] } as never);
      });
      expect(acc.compute(), id).toEqual(whole);
    }
    const scores = [0.1, 0.9, 0.8, 0.3, 0.5, 0.5, 0.7, 0.2];
    const bin = [0, 1, 1, 0, 1, 0, 1, 0];
    const auc = metrics.roc_auc.create();
    const acc = auc.accumulator();
    for (let i = 0; i < 8; i += 3)
      acc.addBatch({ references: bin.slice(i, i + 3), prediction_scores: scores.slice(i, i + 3) });
    expect(acc.compute()).toEqual(auc.compute({ references: bin, prediction_scores: scores }));
    expect(acc.compute().roc_auc).toBeCloseTo(rocAucScore(bin, scores) as number, 15);
  });
});

describe('bad input is a typed error, never a number', () => {
  it('length mismatch', () => {
    expect(() => corpusBleu(preds, refs.slice(1))).toThrow(ShapeError);
    expect(() => wer(preds, refs.slice(1))).toThrow(
      /same length, got 5 predictions and 4 references/,
    );
    expect(() => f1Score([0, 1], [0, 1, 1])).toThrow(ShapeError);
    expect(() => pearsonr([1, 2, 3], [1, 2])).toThrow(ShapeError);
    expect(() => rocAucScore([0, 1, 1], [0.1, 0.2])).toThrow(ShapeError);
  });

  it('empty corpus where the metric is undefined', () => {
    for (const fn of [
      () => corpusBleu([], []),
      () => corpusChrf([], []),
      () => rouge([], []),
      () => wer([], []),
      () => cer([], []),
      () => accuracyScore([], []),
      () => squad([], []),
      () => nmtBleu([], []),
      () => perplexity({ token_logprobs: [] }),
      () => linkPrediction({ scores: [], targets: [] }),
      () => metrics.sacrebleu.create().accumulator().compute(),
      () => metrics.roc_auc.create().accumulator().compute(),
    ]) {
      expect(fn).toThrow(ValidationError);
    }
  });

  it('one-class ROC AUC raises (sklearn raises ValueError)', () => {
    expect(() => rocAucScore([0, 0, 0], [0.1, 0.5, 0.9])).toThrow(/only one class/);
    expect(() => rocAucScore([1, 1], [0.1, 0.5])).toThrow(KdError);
  });

  it('NaN and infinite scores are NumericErrors', () => {
    expect(() => rocAucScore([0, 1], [0.1, Number.NaN])).toThrow(NumericError);
    expect(() => pearsonr([1, Number.POSITIVE_INFINITY, 3], [1, 2, 3])).toThrow(NumericError);
    expect(() => perplexity({ token_logprobs: [[-1, Number.NaN]] })).toThrow(NumericError);
    expect(() => linkPrediction({ scores: [[0.5, Number.NaN, 0.1]], targets: [0] })).toThrow(
      NumericError,
    );
  });

  it('wrong types and shapes say what was expected', () => {
    expect(() => corpusBleu(['a', 3 as never], ['a', 'b'])).toThrow(
      /predictions\[1\] to be a string/,
    );
    expect(() => corpusBleu(['a'], [[]])).toThrow(/non-empty list/);
    expect(() => f1Score([0, 1.5], [0, 1])).toThrow(/continuous/);
    expect(() => f1Score([0, 'a'] as never, [0, 1])).toThrow(/mix of label input types/);
    expect(() => f1Score([0, 1, 2], [0, 1, 2])).toThrow(/average='binary'/);
    expect(() => perplexity({ token_logprobs: [[0.7]] })).toThrow(/not negative log-likelihoods/);
    expect(() => sentenceBleu('a', [] as never)).toThrow(ValidationError);
  });
});
