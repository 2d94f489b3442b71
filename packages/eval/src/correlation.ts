import { ShapeError, ValidationError } from '@kd/core';
import { z } from 'zod';
import { defineMetric } from './metric.js';
import { finiteArray } from './validate.js';

/**
 * scipy.stats pearsonr / spearmanr statistics (HF evaluate's `pearsonr` and
 * `spearmanr`). A constant input makes the coefficient undefined: scipy
 * returns NaN with a warning, and so does kd (it is the reference value,
 * and evaluations of a model that predicts a constant should not crash).
 */

function check(x: Float64Array, y: Float64Array, where: string): void {
  if (x.length !== y.length) {
    throw new ShapeError(
      `predictions and references must have the same length, got ${x.length} and ${y.length}`,
      { where },
    );
  }
  if (x.length < 2) {
    throw new ValidationError(`correlation needs at least 2 examples, got ${x.length}`, [], {
      where,
    });
  }
}

function mean(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
}

/** Pearson's r as scipy computes it (centred, max-scaled norms, clipped to [-1, 1]). */
export function pearsonCoefficient(x: Float64Array, y: Float64Array): number {
  const n = x.length;
  let constX = true;
  let constY = true;
  for (let i = 1; i < n; i++) {
    if (x[i] !== x[0]) constX = false;
    if (y[i] !== y[0]) constY = false;
  }
  if (constX || constY) return Number.NaN;
  const mx = mean(x);
  const my = mean(y);
  const xm = new Float64Array(n);
  const ym = new Float64Array(n);
  let xmax = 0;
  let ymax = 0;
  for (let i = 0; i < n; i++) {
    xm[i] = x[i] - mx;
    ym[i] = y[i] - my;
    if (Math.abs(xm[i]) > xmax) xmax = Math.abs(xm[i]);
    if (Math.abs(ym[i]) > ymax) ymax = Math.abs(ym[i]);
  }
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += (xm[i] / xmax) ** 2;
    sy += (ym[i] / ymax) ** 2;
  }
  const nx = xmax * Math.sqrt(sx);
  const ny = ymax * Math.sqrt(sy);
  let r = 0;
  for (let i = 0; i < n; i++) r += (xm[i] / nx) * (ym[i] / ny);
  r = Math.min(1, Math.max(-1, r));
  // scipy returns exactly ±1 for two points.
  return n === 2 ? Math.round(r) : r;
}

/** Average ranks (1-based), ties get the mean of their positions (scipy rankdata 'average'). */
export function rankData(a: Float64Array): Float64Array {
  const n = a.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((i, j) => a[i] - a[j]);
  const ranks = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i + 1;
    while (j < n && a[order[j]] === a[order[i]]) j++;
    const r = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) ranks[order[k]] = r;
    i = j;
  }
  return ranks;
}

/** scipy.stats.pearsonr(x, y).statistic. */
export function pearsonr(predictions: ArrayLike<number>, references: ArrayLike<number>): number {
  const where = 'pearsonr';
  const x = finiteArray(predictions, 'predictions', where);
  const y = finiteArray(references, 'references', where);
  check(x, y, where);
  return pearsonCoefficient(x, y);
}

/** scipy.stats.spearmanr(x, y).statistic: Pearson's r of average ranks. */
export function spearmanr(predictions: ArrayLike<number>, references: ArrayLike<number>): number {
  const where = 'spearmanr';
  const x = finiteArray(predictions, 'predictions', where);
  const y = finiteArray(references, 'references', where);
  check(x, y, where);
  return pearsonCoefficient(rankData(x), rankData(y));
}

export interface NumberBatch {
  predictions: readonly number[];
  references: readonly number[];
}

class Pairs {
  x: number[] = [];
  y: number[] = [];
  add(batch: NumberBatch, where: string): number {
    const x = finiteArray(batch?.predictions, 'predictions', where);
    const y = finiteArray(batch?.references, 'references', where);
    if (x.length !== y.length) {
      throw new ShapeError(
        `predictions and references must have the same length, got ${x.length} and ${y.length}`,
        { where },
      );
    }
    for (let i = 0; i < x.length; i++) {
      this.x.push(x[i]);
      this.y.push(y[i]);
    }
    return x.length;
  }
}

const empty = z.object({}).strict();

/** `metric:pearsonr`. */
export const pearsonrMetric = defineMetric({
  id: 'pearsonr',
  description: 'Pearson correlation identical to scipy.stats.pearsonr',
  options: empty,
  init: () => new Pairs(),
  update: (s, b: NumberBatch, _o, where) => s.add(b, where),
  finalize: (s) => ({ pearsonr: pearsonr(s.x, s.y) }),
});

/** `metric:spearmanr`. */
export const spearmanrMetric = defineMetric({
  id: 'spearmanr',
  description:
    'Spearman rank correlation identical to scipy.stats.spearmanr (average ranks for ties)',
  options: empty,
  init: () => new Pairs(),
  update: (s, b: NumberBatch, _o, where) => s.add(b, where),
  finalize: (s) => ({ spearmanr: spearmanr(s.x, s.y) }),
});
