import { describeValue, ShapeError, ValidationError } from '@kd/core';
import { arrayLength, assertSameLength, sampleWeights } from '../validate.js';

/** True when a batch holds label-indicator rows (`[[0, 1, 1], …]`). */
export function isIndicatorBatch(predictions: unknown, references: unknown): boolean {
  const first = (a: unknown) =>
    Array.isArray(a) && a.length > 0 ? a[0] : ArrayBuffer.isView(a) ? undefined : undefined;
  const p = first(predictions);
  const r = first(references);
  return Array.isArray(p) || ArrayBuffer.isView(p) || Array.isArray(r) || ArrayBuffer.isView(r);
}

function bit(v: unknown, name: string, where: string): 0 | 1 {
  if (v === 0 || v === false) return 0;
  if (v === 1 || v === true) return 1;
  throw new ValidationError(`${name} is ${describeValue(v)}; indicator matrices hold 0/1`, [], {
    where,
  });
}

/**
 * Multilabel (indicator matrix) counts: per-label tp / predicted / true sums,
 * per-sample counts for `average: 'samples'`, and subset accuracy.
 */
export class MultilabelCounts {
  width = -1;
  tp = new Float64Array(0);
  pred = new Float64Array(0);
  true = new Float64Array(0);
  /** Per sample: [tp, predicted, true, weight]. */
  samples: number[] = [];
  subsetCorrect = 0;
  weightSum = 0;
  examples = 0;

  addBatch(references: unknown, predictions: unknown, weights: unknown, where: string): number {
    const n = assertSameLength(predictions, 'predictions', references, 'references', where);
    const w = sampleWeights(weights, n, where);
    const t = references as ArrayLike<ArrayLike<unknown>>;
    const p = predictions as ArrayLike<ArrayLike<unknown>>;
    for (let i = 0; i < n; i++) {
      const lt = arrayLength(t[i], `references[${i}]`, where);
      const lp = arrayLength(p[i], `predictions[${i}]`, where);
      if (this.width < 0) {
        this.width = lt;
        this.tp = new Float64Array(lt);
        this.pred = new Float64Array(lt);
        this.true = new Float64Array(lt);
      }
      if (lt !== this.width || lp !== this.width) {
        throw new ShapeError(
          `indicator rows must all have ${this.width} columns; row ${i} has ${lt} (references) and ${lp} (predictions)`,
          { where },
        );
      }
      const wi = w ? w[i] : 1;
      let stp = 0;
      let sp = 0;
      let st = 0;
      let equal = true;
      for (let j = 0; j < lt; j++) {
        const a = bit(t[i][j], `references[${i}][${j}]`, where);
        const b = bit(p[i][j], `predictions[${i}][${j}]`, where);
        if (a !== b) equal = false;
        if (a && b) {
          this.tp[j] += wi;
          stp++;
        }
        if (b) {
          this.pred[j] += wi;
          sp++;
        }
        if (a) {
          this.true[j] += wi;
          st++;
        }
      }
      this.samples.push(stp, sp, st, wi);
      if (equal) this.subsetCorrect += wi;
      this.weightSum += wi;
    }
    this.examples += n;
    return n;
  }
}
