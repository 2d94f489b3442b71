import { definePlugin } from '@kd/core';
import { bleuMetric } from './bleu/nmt-bleu.js';
import { sacrebleuMetric } from './bleu/sacrebleu.js';
import { chrfMetric } from './chrf.js';
import {
  accuracyMetric,
  confusionMatrixMetric,
  f1Metric,
  matthewsCorrelationMetric,
  precisionMetric,
  recallMetric,
} from './classification/prf.js';
import { pearsonrMetric, spearmanrMetric } from './correlation.js';
import { glueMetric } from './glue.js';
import { linkPredictionMetric } from './link-prediction.js';
import { perplexityMetric } from './perplexity.js';
import { averagePrecisionMetric, rocAucMetric } from './ranking/roc.js';
import { relationExtractionMetric } from './relation-extraction.js';
import { rougeMetric } from './rouge/rouge.js';
import { seqevalMetric } from './seqeval.js';
import { squadMetric } from './squad.js';
import { cerMetric, werMetric } from './wer/jiwer.js';

export * from './bleu/nmt-bleu.js';
export * from './bleu/sacrebleu.js';
export * from './bleu/tokenizers.js';
export * from './chrf.js';
export * from './classification/confusion.js';
export * from './classification/prf.js';
export * from './correlation.js';
export * from './glue.js';
export * from './link-prediction.js';
export type { Accumulator, Metric, MetricDefinition } from './metric.js';
export * from './perplexity.js';
export * from './ranking/roc.js';
export * from './relation-extraction.js';
export { porterStem } from './rouge/porter.js';
export * from './rouge/rouge.js';
export { rougeTokenize } from './rouge/tokenize.js';
export * from './seqeval.js';
export * from './squad.js';
export { pySplit, pyStrip } from './text/python.js';
export * from './wer/jiwer.js';
export type { EditCounts } from './wer/levenshtein.js';

/** Every metric definition, by id (`metrics.sacrebleu.create({...})`). */
export const metrics = {
  accuracy: accuracyMetric,
  average_precision: averagePrecisionMetric,
  bleu: bleuMetric,
  cer: cerMetric,
  chrf: chrfMetric,
  confusion_matrix: confusionMatrixMetric,
  f1: f1Metric,
  glue: glueMetric,
  link_prediction: linkPredictionMetric,
  matthews_correlation: matthewsCorrelationMetric,
  pearsonr: pearsonrMetric,
  perplexity: perplexityMetric,
  precision: precisionMetric,
  recall: recallMetric,
  relation_extraction: relationExtractionMetric,
  roc_auc: rocAucMetric,
  rouge: rougeMetric,
  sacrebleu: sacrebleuMetric,
  seqeval: seqevalMetric,
  spearmanr: spearmanrMetric,
  squad: squadMetric,
  wer: werMetric,
} as const;

/** Everything @kd/eval provides to the registry: `registry.register(plugin)`. */
export const plugin = definePlugin({
  meta: { name: '@kd/eval', version: '0.1.0', apiVersion: '1.0.0' },
  provides: Object.values(metrics).map((m) => m.entry),
});
