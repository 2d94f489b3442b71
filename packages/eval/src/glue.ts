import { ValidationError } from '@kd/core';
import { z } from 'zod';
import { ConfusionCounts } from './classification/confusion.js';
import { mccFromConfusion, prfFromConfusion } from './classification/prf.js';
import { pearsonCoefficient, rankData } from './correlation.js';
import { defineMetric } from './metric.js';
import { assertNonEmpty, assertSameLength, finiteArray, parseOptions } from './validate.js';

/**
 * HF evaluate's `glue` metric, one config per task: CoLA → Matthews
 * correlation; SST-2, MNLI (matched/mismatched), QNLI, RTE, WNLI, HANS →
 * accuracy; MRPC, QQP → accuracy and binary F1; STS-B → Pearson and
 * Spearman (HF casts STS-B inputs to float32 first, and so does kd).
 */
export const GLUE_TASKS = [
  'cola',
  'sst2',
  'mrpc',
  'qqp',
  'stsb',
  'mnli',
  'mnli_mismatched',
  'mnli_matched',
  'qnli',
  'rte',
  'wnli',
  'hans',
] as const;
export type GlueTask = (typeof GLUE_TASKS)[number];

export const glueOptionsSchema = z
  .object({
    /** The HF config name (`glue/sst2` style prefixes are accepted too). */
    config_name: z.preprocess(
      (v) => (typeof v === 'string' ? v.replace(/^glue\//, '') : v),
      z.enum(GLUE_TASKS),
    ),
  })
  .strict();

export type GlueResult =
  | { matthews_correlation: number }
  | { accuracy: number }
  | { accuracy: number; f1: number }
  | { pearson: number; spearmanr: number };

export interface GlueBatch {
  predictions: readonly (number | string | boolean)[];
  references: readonly (number | string | boolean)[];
}

class GlueState {
  confusion = new ConfusionCounts();
  x: number[] = [];
  y: number[] = [];
  constructor(readonly task: GlueTask) {}
  add(batch: GlueBatch, where: string): number {
    if (this.task === 'stsb') {
      const n = assertSameLength(
        batch?.predictions,
        'predictions',
        batch?.references,
        'references',
        where,
      );
      const p = finiteArray(batch.predictions, 'predictions', where);
      const r = finiteArray(batch.references, 'references', where);
      for (let i = 0; i < n; i++) {
        this.x.push(Math.fround(p[i]));
        this.y.push(Math.fround(r[i]));
      }
      return n;
    }
    return this.confusion.addBatch(batch?.references, batch?.predictions, undefined, where);
  }
  result(where: string): GlueResult {
    const t = this.task;
    if (t === 'stsb') {
      const x = Float64Array.from(this.x);
      const y = Float64Array.from(this.y);
      if (x.length < 2)
        throw new ValidationError('STS-B correlation needs at least 2 examples', [], { where });
      return {
        pearson: pearsonCoefficient(x, y),
        spearmanr: pearsonCoefficient(rankData(x), rankData(y)),
      };
    }
    if (t === 'cola') return { matthews_correlation: mccFromConfusion(this.confusion) };
    const accuracy = this.confusion.correctWeight() / this.confusion.totalWeight();
    if (t === 'mrpc' || t === 'qqp') {
      const f = prfFromConfusion(
        this.confusion,
        { average: 'binary', pos_label: 1, labels: null, zero_division: 'warn', beta: 1 },
        where,
      );
      return { accuracy, f1: f.fscore as number };
    }
    return { accuracy };
  }
}

/** HF `glue` for one task. */
export function glue(
  task: GlueTask | `glue/${GlueTask}`,
  predictions: GlueBatch['predictions'],
  references: GlueBatch['references'],
): GlueResult {
  const where = 'glue';
  const o = parseOptions(glueOptionsSchema, { config_name: task }, where);
  const s = new GlueState(o.config_name);
  assertNonEmpty(s.add({ predictions, references }, where), 'predictions', where);
  return s.result(where);
}

/** `metric:glue` (option `config_name`, as HF's `load("glue", "mrpc")`). */
export const glueMetric = defineMetric({
  id: 'glue',
  description:
    "HF evaluate's glue metric (cola, sst2, mrpc, qqp, stsb, mnli, qnli, rte, wnli, hans)",
  options: glueOptionsSchema,
  init: (o) => new GlueState(o.config_name),
  update: (s, b: GlueBatch, _o, where) => s.add(b, where),
  finalize: (s, _o, where, size) => {
    assertNonEmpty(size, 'predictions', where);
    return s.result(where);
  },
});
