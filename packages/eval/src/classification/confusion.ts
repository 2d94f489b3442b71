import { describeValue, ValidationError } from '@kd/core';
import { compareCodePoints } from '../text/python.js';
import { arrayLength, assertSameLength, sampleWeights } from '../validate.js';

/**
 * Class labels as scikit-learn sees them: integers (booleans count as 0/1)
 * or strings, never mixed, sorted as `np.unique` sorts them.
 */
export type Label = number | string | boolean;

function normalizeLabel(v: unknown, name: string, where: string): number | string {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) {
      throw new ValidationError(
        `${name} is ${v}: classification labels must be integers or strings (scikit-learn calls non-integer labels "continuous" and refuses them)`,
        [],
        { where },
      );
    }
    return v;
  }
  throw new ValidationError(
    `${name} is ${describeValue(v)}; expected an integer or string label`,
    [],
    {
      where,
    },
  );
}

export function compareLabels(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return compareCodePoints(String(a), String(b));
}

/**
 * A weighted confusion matrix over labels discovered as they stream in.
 * Accuracy, P/R/F (every averaging), MCC and the confusion matrix itself are
 * all functions of it, so memory is O(classes²) however many examples pass.
 */
export class ConfusionCounts {
  readonly #ids = new Map<number | string, number>();
  readonly labels: (number | string)[] = [];
  #kind: 'number' | 'string' | undefined;
  #cap = 4;
  #m = new Float64Array(16);
  readonly #seenTrue: boolean[] = [];
  /** Examples seen (unweighted). */
  examples = 0;

  #id(label: number | string, where: string): number {
    let id = this.#ids.get(label);
    if (id !== undefined) return id;
    const kind = typeof label as 'number' | 'string';
    if (this.#kind === undefined) this.#kind = kind;
    else if (this.#kind !== kind) {
      throw new ValidationError(
        `mix of label input types (string and number): ${JSON.stringify(label)} among ${this.#kind} labels`,
        [],
        { where },
      );
    }
    id = this.labels.length;
    this.#ids.set(label, id);
    this.labels.push(label);
    if (id >= this.#cap) {
      const cap = this.#cap * 2;
      const m = new Float64Array(cap * cap);
      for (let i = 0; i < this.#cap; i++) {
        m.set(this.#m.subarray(i * this.#cap, (i + 1) * this.#cap), i * cap);
      }
      this.#cap = cap;
      this.#m = m;
    }
    return id;
  }

  /** Adds `references` (true) / `predictions` pairs with optional weights. */
  addBatch(references: unknown, predictions: unknown, weights: unknown, where: string): number {
    const n = assertSameLength(predictions, 'predictions', references, 'references', where);
    const w = sampleWeights(weights, n, where);
    const t = references as ArrayLike<unknown>;
    const p = predictions as ArrayLike<unknown>;
    for (let i = 0; i < n; i++) {
      const a = this.#id(normalizeLabel(t[i], `references[${i}]`, where), where);
      this.#seenTrue[a] = true;
      const b = this.#id(normalizeLabel(p[i], `predictions[${i}]`, where), where);
      this.#m[a * this.#cap + b] += w ? w[i] : 1;
    }
    this.examples += n;
    return n;
  }

  /** Weight of (true = a, predicted = b) by discovery ids. */
  at(a: number, b: number): number {
    return this.#m[a * this.#cap + b];
  }

  id(label: number | string): number | undefined {
    return this.#ids.get(label);
  }

  /** Whether `label` occurred among the references. */
  isTrueLabel(label: number | string): boolean {
    const id = this.#ids.get(label);
    return id !== undefined && this.#seenTrue[id] === true;
  }

  /** Labels present (in references or predictions), sorted like np.unique. */
  sortedLabels(): (number | string)[] {
    return [...this.labels].sort(compareLabels);
  }

  /** Dense matrix (rows = true, columns = predicted) over `labels` (absent labels give zeros). */
  matrix(labels: readonly (number | string)[]): Float64Array[] {
    const ids = labels.map((l) => this.#ids.get(l));
    return ids.map((a) => {
      const row = new Float64Array(labels.length);
      if (a !== undefined) {
        for (let j = 0; j < ids.length; j++) {
          const b = ids[j];
          if (b !== undefined) row[j] = this.at(a, b);
        }
      }
      return row;
    });
  }

  /** Per label: true positives, predicted count and true count (sklearn's multilabel confusion matrix). */
  perLabel(labels: readonly (number | string)[]): {
    tp: Float64Array;
    pred: Float64Array;
    true: Float64Array;
  } {
    const k = this.labels.length;
    const tp = new Float64Array(labels.length);
    const pred = new Float64Array(labels.length);
    const tru = new Float64Array(labels.length);
    labels.forEach((l, i) => {
      const a = this.#ids.get(l);
      if (a === undefined) return;
      tp[i] = this.at(a, a);
      for (let j = 0; j < k; j++) {
        pred[i] += this.at(j, a);
        tru[i] += this.at(a, j);
      }
    });
    return { tp, pred, true: tru };
  }

  totalWeight(): number {
    let s = 0;
    const k = this.labels.length;
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) s += this.at(i, j);
    return s;
  }

  correctWeight(): number {
    let s = 0;
    for (let i = 0; i < this.labels.length; i++) s += this.at(i, i);
    return s;
  }
}

/** Normalises user-given `labels` the same way as the data. */
export function labelList(
  labels: readonly unknown[] | null | undefined,
  where: string,
): (number | string)[] | undefined {
  if (labels === undefined || labels === null) return undefined;
  arrayLength(labels, 'labels', where);
  return labels.map((l, i) => normalizeLabel(l, `labels[${i}]`, where));
}
