// Independent float64 reference computations in plain JS loops (no tfjs),
// written from the formulas in PEFT / the reference notes.

export type M = number[][];

export function fromFlat(data: ArrayLike<number>, rows: number, cols: number): M {
  return Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => data[i * cols + j]),
  );
}
export function flat(m: M): number[] {
  return m.flat();
}
export function mm(a: M, b: M): M {
  const n = a.length;
  const k = b.length;
  const p = b[0].length;
  const out = Array.from({ length: n }, () => new Array<number>(p).fill(0));
  for (let i = 0; i < n; i++)
    for (let t = 0; t < k; t++) for (let j = 0; j < p; j++) out[i][j] += a[i][t] * b[t][j];
  return out;
}
export function tr(a: M): M {
  return a[0].map((_, j) => a.map((row) => row[j]));
}
export function add(a: M, b: M, s = 1): M {
  return a.map((row, i) => row.map((v, j) => v + s * b[i][j]));
}
export function rowNorms(a: M): number[] {
  return a.map((row) => Math.sqrt(row.reduce((s, v) => s + v * v, 0)));
}

/** y = x Wᵀ + b (torch Linear with W [out, in]). */
export function linear(x: M, w: M, b?: number[]): M {
  const y = mm(x, tr(w));
  return b ? y.map((row) => row.map((v, j) => v + b[j])) : y;
}

/** LoRA: W x + b + s·B(A x). */
export function loraForward(x: M, w: M, b: number[] | undefined, a: M, bm: M, s: number): M {
  return add(linear(x, w, b), mm(mm(x, tr(a)), tr(bm)), s);
}

/** DoRA (PEFT): (m / ‖W + sBA‖_row) ⊙ ((W + sBA) x) + b. */
export function doraForward(
  x: M,
  w: M,
  b: number[] | undefined,
  a: M,
  bm: M,
  s: number,
  mag: number[],
): M {
  const v = add(w, mm(bm, a), s);
  const n = rowNorms(v);
  const scaled = v.map((row, i) => row.map((e) => (mag[i] / n[i]) * e));
  return linear(x, scaled, b);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Deterministic pseudo-random values in [-1, 1) (test data only). */
export function randomValues(n: number, seed: number, scale = 1): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (((s >>> 0) / 2 ** 32) * 2 - 1) * scale;
  });
}
