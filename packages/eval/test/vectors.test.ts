import { readFileSync } from 'node:fs';
import { KdError } from '@kd/core';
import { describe, expect, it } from 'vitest';
import {
  accuracyScore,
  auc,
  averagePrecisionScore,
  cer,
  computeBleu,
  corpusBleu,
  corpusChrf,
  f1Score,
  glue,
  matthewsCorrcoef,
  nmtBleu,
  normalizeAnswer,
  pearsonr,
  perplexity,
  precisionRecallFscoreSupport,
  precisionScore,
  recallScore,
  referencesFromStreams,
  rocAucScore,
  rocCurve,
  rouge,
  rougeScore,
  rougeScoreMulti,
  rougeTokenize,
  sentenceBleu,
  sentenceChrf,
  spearmanr,
  squad,
  tokenize13a,
  tokenizeIntl,
  wer,
} from '../src/index.js';

/**
 * The 265 published vectors of ../shared/reference/metrics-vectors.json
 * (copied into fixtures/), each at its stated absolute tolerance.
 */
interface Vector {
  metric: string;
  source: string;
  options: Record<string, unknown>;
  input: Record<string, unknown>;
  expected: Record<string, unknown>;
  tolerance: number;
  note?: string;
}

const doc = JSON.parse(
  readFileSync(new URL('./fixtures/metrics-vectors.json', import.meta.url), 'utf8'),
) as { vectors: Vector[] };

// biome-ignore lint/suspicious/noExplicitAny: vectors are heterogeneous JSON.
type Any = any;

function bleuOptions(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (o.tokenize !== undefined) out.tokenize = o.tokenize;
  if (o.smooth_method !== undefined) out.smooth_method = o.smooth_method;
  if (o.smooth_value !== undefined) out.smooth_value = o.smooth_value;
  if (o.lowercase !== undefined) out.lowercase = o.lowercase;
  if (o.force !== undefined) out.force = o.force;
  if (o.effective_order !== undefined) out.use_effective_order = o.effective_order;
  if (o.max_ngram_order !== undefined) out.max_ngram_order = o.max_ngram_order;
  return out;
}

const asArray = (v: unknown): string[] => (typeof v === 'string' ? [v] : (v as string[]));

/** Runs one vector through kd and returns kd's values under the vector's keys. */
function run(v: Vector): Record<string, unknown> {
  const o = v.options;
  const i = v.input as Any;
  switch (v.metric) {
    case 'bleu': {
      if (o.api === 'BLEU.compute_bleu') {
        const r = computeBleu(i.correct, i.total, i.sys_len, i.ref_len, bleuOptions(o) as Any);
        return { score_div_100: r.score / 100 };
      }
      if (typeof o.api === 'string' && o.api.startsWith('HF')) {
        return corpusBleu(i.predictions, i.references) as Any;
      }
      const r = corpusBleu(
        i.hypotheses,
        referencesFromStreams(i.references),
        bleuOptions(o) as Any,
      );
      return { ...r, score_div_100: r.score / 100, score_formatted_2dp: r.score.toFixed(2) };
    }
    case 'sentence_bleu':
      return sentenceBleu(i.hypothesis, i.references, bleuOptions(o) as Any) as Any;
    case 'bleu_hf_nmt':
      return nmtBleu(i.predictions, i.references, {
        max_order: o.max_order as number,
        smooth: o.smooth as boolean,
      }) as Any;
    case 'bleu_tokenize_13a':
      return { tokenized: tokenize13a(i.text), tokenized_intl: tokenizeIntl(i.text) };
    case 'chrf': {
      const opts: Record<string, unknown> = {
        char_order: o.char_order,
        word_order: o.word_order,
        beta: o.beta,
      };
      if (o.eps_smoothing !== undefined) opts.eps_smoothing = o.eps_smoothing;
      if (o.remove_whitespace !== undefined) opts.whitespace = !o.remove_whitespace;
      if (o.api === 'sentence_chrf')
        return sentenceChrf(i.hypothesis, i.references, opts as Any) as Any;
      return corpusChrf(i.hypotheses, referencesFromStreams(i.references), opts as Any) as Any;
    }
    case 'rouge': {
      const opts = {
        rouge_types: o.rouge_types as string[],
        use_stemmer: (o.use_stemmer as boolean) ?? false,
      };
      if (o.split_summaries === true) throw new Error('split_summaries is not supported');
      if (typeof o.api === 'string' && o.api.startsWith('HF'))
        return rouge(i.predictions, i.references, opts);
      const scores =
        o.api === 'score_multi'
          ? rougeScoreMulti(i.targets, i.prediction, opts)
          : rougeScore(i.target, i.prediction, opts);
      const out: Record<string, number> = {};
      for (const [type, s] of Object.entries(scores)) {
        out[`${type}.precision`] = s.precision;
        out[`${type}.recall`] = s.recall;
        out[`${type}.fmeasure`] = s.fmeasure;
      }
      return out;
    }
    case 'rouge_tokenize':
      return { tokens: rougeTokenize(i.text, o.use_stemmer as boolean) };
    case 'wer': {
      if (o.api) return wer(i.predictions, i.references) as Any;
      return wer(asArray(i.hypothesis), asArray(i.reference), {
        concatenate_texts: o.transform === 'wer_contiguous',
      }) as Any;
    }
    case 'cer': {
      if (o.api) {
        return cer(i.predictions, i.references, {
          transform: 'hf',
          concatenate_texts: (o.concatenate_texts as boolean) ?? false,
        }) as Any;
      }
      return cer(asArray(i.hypothesis), asArray(i.reference)) as Any;
    }
    case 'accuracy':
      return {
        accuracy: accuracyScore(i.y_true, i.y_pred, {
          normalize: (o.normalize as boolean) ?? true,
          sample_weight: o.sample_weight as number[],
        }),
      };
    case 'precision':
    case 'recall':
    case 'f1': {
      const fn =
        v.metric === 'precision' ? precisionScore : v.metric === 'recall' ? recallScore : f1Score;
      const { sample_weight, ...rest } = o;
      const zd = rest.zero_division === 1.0 ? 1 : rest.zero_division;
      return {
        [v.metric]: fn(i.y_true, i.y_pred, {
          ...(rest as Any),
          ...(zd === undefined ? {} : { zero_division: zd }),
          sample_weight: sample_weight as number[],
        }),
      };
    }
    case 'precision_recall_f1': {
      const r = precisionRecallFscoreSupport(i.y_true, i.y_pred, o as Any);
      return { precision: r.precision, recall: r.recall, f1: r.fscore };
    }
    case 'mcc': {
      if (o.task === 'glue/cola') return glue('cola', i.y_pred, i.y_true) as Any;
      return {
        mcc: matthewsCorrcoef(i.y_true, i.y_pred, { sample_weight: o.sample_weight as number[] }),
      };
    }
    case 'roc_auc': {
      const opts: Record<string, unknown> = {};
      if (o.multi_class !== undefined) opts.multi_class = o.multi_class;
      if (o.average !== undefined) opts.average = o.average;
      return { roc_auc: rocAucScore(i.y_true, i.y_score, opts as Any) };
    }
    case 'auc_trapezoid':
      return { auc: auc(i.x, i.y) };
    case 'roc_curve': {
      const r = rocCurve(i.y_true, i.y_score, {
        pos_label: o.pos_label as number,
        drop_intermediate: o.drop_intermediate as boolean,
      });
      return {
        fpr: r.fpr,
        tpr: r.tpr,
        thresholds_tail: r.thresholds.slice(1),
        auc: auc(r.fpr, r.tpr),
      };
    }
    case 'average_precision':
      return { average_precision: averagePrecisionScore(i.y_true, i.y_score, o as Any) };
    case 'pearson':
      return { pearsonr: pearsonr(i.predictions, i.references) };
    case 'spearman':
      return { spearmanr: spearmanr(i.predictions, i.references) };
    case 'glue': {
      const task = String(o.task).split(' ')[0] as Any;
      return glue(task, i.predictions ?? i.y_pred, i.references ?? i.y_true) as Any;
    }
    case 'squad':
      return squad(i.predictions, i.references) as Any;
    case 'squad_normalize':
      return { normalized: normalizeAnswer(i.text) };
    case 'perplexity': {
      if (o.input === 'logits')
        return perplexity({ logits: [i.logits], targets: [i.targets] }) as Any;
      return perplexity({ token_logprobs: i.token_logprobs_numeric }) as Any;
    }
    default:
      throw new Error(`no runner for ${v.metric}`);
  }
}

function close(actual: unknown, expected: unknown, tol: number, path: string): void {
  if (expected === 'NaN') {
    expect(Number.isNaN(actual), `${path}: expected NaN, got ${actual}`).toBe(true);
  } else if (typeof expected === 'number') {
    expect(typeof actual, `${path}: ${actual}`).toBe('number');
    expect(
      Math.abs((actual as number) - expected),
      `${path}: expected ${expected}, got ${actual}`,
    ).toBeLessThanOrEqual(tol * (1 + 1e-9) + 1e-15);
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual), `${path}: expected a list, got ${JSON.stringify(actual)}`).toBe(
      true,
    );
    expect((actual as unknown[]).length, path).toBe(expected.length);
    expected.forEach((e, k) => {
      close((actual as unknown[])[k], e, tol, `${path}[${k}]`);
    });
  } else {
    expect(actual, path).toEqual(expected);
  }
}

// rougeLsum with split_summaries=True needs NLTK's Punkt sentence splitter, which kd does not ship.
const unsupported = (v: Vector) => v.options.split_summaries === true;

describe('reference vectors (metrics-vectors.json)', () => {
  it('holds the 265 published vectors', () => {
    expect(doc.vectors.length).toBe(265);
  });

  doc.vectors.forEach((v, k) => {
    const name = `#${k} ${v.metric} ${v.source.split('#')[1] ?? v.source}`.slice(0, 150);
    if (unsupported(v)) {
      it(`${name} (split_summaries is refused with a clear error)`, () => {
        expect(() =>
          rougeScore(
            v.input.target as string,
            v.input.prediction as string,
            { split_summaries: true } as Any,
          ),
        ).toThrow(/unknown option "split_summaries"/);
      });
      return;
    }
    it(name, () => {
      if ('error' in v.expected) {
        expect(() => run(v)).toThrow(KdError);
        return;
      }
      const got = run(v);
      for (const [key, exp] of Object.entries(v.expected)) close(got[key], exp, v.tolerance, key);
    });
  });
});
