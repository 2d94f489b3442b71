import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  accuracyScore,
  averagePrecisionScore,
  cer,
  confusionMatrix,
  corpusBleu,
  corpusChrf,
  f1Score,
  matthewsCorrcoef,
  pearsonr,
  porterStem,
  precisionRecallFscoreSupport,
  RougeScorer,
  rocAucScore,
  rocCurve,
  sentenceBleu,
  sentenceChrf,
  spearmanr,
  wer,
} from '../src/index.js';
import { Aligner } from '../src/wer/levenshtein.js';

/**
 * Thousands of cases produced by running the reference tools themselves
 * (sacrebleu 2.6.0, rouge_score 0.1.2 + NLTK's PorterStemmer, RapidFuzz
 * opcodes as jiwer 4 counts them, scikit-learn 1.9.1, scipy 1.17.1) on Tiny
 * Shakespeare lines with seeded perturbations and hand-written edge cases.
 * fixtures/generate_reference.py regenerates the file. Tolerance 1e-9
 * absolute (BLEU/chrF on the 0-100 scale: 1e-9 too).
 */
// biome-ignore lint/suspicious/noExplicitAny: fixture JSON.
type Any = any;
const ref: Any = JSON.parse(
  gunzipSync(
    readFileSync(new URL('./fixtures/reference-generated.json.gz', import.meta.url)),
  ).toString('utf8'),
);
const TOL = 1e-9;

function close(actual: unknown, expected: unknown, path = ''): void {
  if (expected === 'NaN') {
    expect(Number.isNaN(actual), `${path}: expected NaN, got ${actual}`).toBe(true);
  } else if (typeof expected === 'number') {
    expect(
      Math.abs((actual as number) - expected),
      `${path}: expected ${expected}, got ${actual}`,
    ).toBeLessThanOrEqual(TOL);
  } else if (Array.isArray(expected)) {
    expect((actual as unknown[]).length, `${path} length`).toBe(expected.length);
    expected.forEach((e, k) => {
      close((actual as unknown[])[k], e, `${path}[${k}]`);
    });
  } else if (expected && typeof expected === 'object') {
    for (const [k, v] of Object.entries(expected)) close((actual as Any)[k], v, `${path}.${k}`);
  } else {
    expect(actual, path).toEqual(expected);
  }
}

describe('sacreBLEU 2.6.0', () => {
  it(`corpus BLEU on ${ref.bleu.length} corpora (all tokenizers, smoothing, lowercase, effective order, orders 2-6, 1-3 refs)`, () => {
    for (const [k, c] of ref.bleu.entries())
      close(corpusBleu(c.predictions, c.references, c.options), c.expected, `bleu[${k}]`);
  });
  it(`sentence BLEU on ${ref.sentence_bleu.length} segments`, () => {
    for (const [k, c] of ref.sentence_bleu.entries()) {
      close(
        sentenceBleu(c.hypothesis, c.references, c.options).score,
        c.score,
        `sentence_bleu[${k}]`,
      );
    }
  });
  it(`chrF / chrF++ corpus and sentence scores on ${ref.chrf.length} corpora`, () => {
    for (const [k, c] of ref.chrf.entries()) {
      close(corpusChrf(c.predictions, c.references, c.options).score, c.score, `chrf[${k}]`);
      c.predictions.forEach((p: string, i: number) => {
        close(
          sentenceChrf(p, c.references[i], c.options).score,
          c.sentence_scores[i],
          `chrf[${k}].sentence[${i}]`,
        );
      });
    }
  });
});

describe('rouge_score 0.1.2', () => {
  it(`P/R/F of rouge1/2/3/L/Lsum on ${ref.rouge.length} pairs (score and score_multi, stemmer on and off)`, () => {
    const types = ['rouge1', 'rouge2', 'rouge3', 'rougeL', 'rougeLsum'];
    const scorers = [new RougeScorer(types, false), new RougeScorer(types, true)];
    for (const [k, c] of ref.rouge.entries()) {
      const s = scorers[c.use_stemmer ? 1 : 0];
      const got = c.targets
        ? s.scoreMulti(c.targets, c.prediction)
        : s.score(c.target, c.prediction);
      for (const t of types) {
        close(
          [got[t].precision, got[t].recall, got[t].fmeasure],
          c.expected[t],
          `rouge[${k}].${t}`,
        );
      }
    }
  });
  it(`NLTK PorterStemmer (NLTK_EXTENSIONS) on ${Object.keys(ref.porter).length} words`, () => {
    const wrong = Object.entries(ref.porter).filter(([w, s]) => porterStem(w) !== s);
    expect(wrong.slice(0, 10)).toEqual([]);
  });
});

describe('jiwer 4 (RapidFuzz alignment)', () => {
  it(`WER/MER/WIL/WIP and CER with hit/substitution/deletion/insertion counts on ${ref.jiwer.length} corpora`, () => {
    for (const [k, c] of ref.jiwer.entries()) {
      close(wer(c.predictions, c.references), c.wer, `jiwer[${k}].wer`);
      close(cer(c.predictions, c.references), c.cer, `jiwer[${k}].cer`);
    }
  });
  it(`the same H/S/D/I split as Levenshtein.opcodes on ${ref.alignments.length} short and ${ref.alignments_long.length} multi-block tie-heavy pairs`, () => {
    const aligner = new Aligner();
    for (const [a, b, expected] of [...ref.alignments, ...ref.alignments_long]) {
      const x = Int32Array.from(a as string, (ch) => ch.charCodeAt(0));
      const y = Int32Array.from(b as string, (ch) => ch.charCodeAt(0));
      const out = { hits: 0, substitutions: 0, deletions: 0, insertions: 0 };
      aligner.add(x, x.length, y, y.length, out);
      expect([out.hits, out.substitutions, out.deletions, out.insertions], `${a} | ${b}`).toEqual(
        expected,
      );
    }
  });
});

describe('scikit-learn 1.9.1', () => {
  const cases = (kind: string) => ref.sklearn.filter((c: Any) => c.kind === kind);
  it('precision_recall_fscore_support: every average, labels, zero_division, sample weights, multilabel', () => {
    const all = cases('prf');
    expect(all.length).toBeGreaterThan(500);
    for (const [k, c] of all.entries()) {
      const r = precisionRecallFscoreSupport(c.y_true, c.y_pred, {
        ...c.options,
        sample_weight: c.sample_weight ?? undefined,
      });
      close(r, c.expected, `prf[${k}] ${JSON.stringify(c.options)}`);
    }
  });
  it('fbeta_score, accuracy_score, matthews_corrcoef, confusion_matrix', () => {
    for (const c of cases('fbeta'))
      close(
        f1Score(c.y_true, c.y_pred, { ...c.options, sample_weight: c.sample_weight ?? undefined }),
        c.expected,
        'fbeta',
      );
    for (const c of cases('accuracy')) {
      if (c.expected === null)
        expect(() => accuracyScore(c.y_true, c.y_pred, { sample_weight: c.sample_weight })).toThrow(
          /sum to zero/,
        );
      else
        close(
          accuracyScore(c.y_true, c.y_pred, { sample_weight: c.sample_weight ?? undefined }),
          c.expected,
          'accuracy',
        );
    }
    for (const c of cases('mcc'))
      close(
        matthewsCorrcoef(c.y_true, c.y_pred, { sample_weight: c.sample_weight ?? undefined }),
        c.expected,
        'mcc',
      );
    for (const c of cases('confusion_matrix')) {
      close(
        confusionMatrix(c.y_true, c.y_pred, {
          ...c.options,
          sample_weight: c.sample_weight ?? undefined,
        }),
        c.expected,
        'confusion_matrix',
      );
    }
  });
  it('roc_auc_score (binary with ties and weights, max_fpr, multiclass ovr/ovo, multilabel), roc_curve, average_precision_score', () => {
    for (const [k, c] of cases('roc_auc').entries()) {
      if (JSON.stringify(c.expected).includes('NaN')) {
        // sklearn >= 1.6 returns NaN (with a warning) when a column or row holds one class;
        // kd raises, as earlier sklearn did: an undefined AUC is an error, not a number.
        expect(() => rocAucScore(c.y_true, c.y_score, c.options)).toThrow(/only one class/);
        continue;
      }
      close(
        rocAucScore(c.y_true, c.y_score, {
          ...c.options,
          sample_weight: c.sample_weight ?? undefined,
        }),
        c.expected,
        `roc_auc[${k}] ${JSON.stringify(c.options)}`,
      );
    }
    for (const [k, c] of cases('average_precision').entries()) {
      close(
        averagePrecisionScore(c.y_true, c.y_score, {
          ...c.options,
          sample_weight: c.sample_weight ?? undefined,
        }),
        c.expected,
        `ap[${k}]`,
      );
    }
    for (const [k, c] of cases('roc_curve').entries()) {
      const r = rocCurve(c.y_true, c.y_score, { sample_weight: c.sample_weight ?? undefined });
      close(
        { fpr: r.fpr, tpr: r.tpr, thresholds: r.thresholds.slice(1) },
        c.expected,
        `roc_curve[${k}]`,
      );
    }
  });
});

describe('scipy 1.17.1', () => {
  it(`pearsonr and spearmanr (ties, rounding) on ${ref.scipy.length} samples`, () => {
    for (const [k, c] of ref.scipy.entries()) {
      close(pearsonr(c.x, c.y), c.pearsonr, `pearsonr[${k}]`);
      close(spearmanr(c.x, c.y), c.spearmanr, `spearmanr[${k}]`);
    }
  });
});
