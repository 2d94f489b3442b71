/**
 * Independent plain-JS (float64) implementations of the PyG layer
 * definitions, written from the equations in the PyG docs and
 * optim-graph-NOTES.md, sharing no code with src/. Matrices are row-major
 * number[] with explicit dims.
 */
import { Rng } from '@kd/core';

export interface RefEdge {
  s: number;
  d: number;
  w: number;
}

/** A random graph with duplicate edges, self-loops and an isolated last node. */
export function randomGraph(seed: number, n = 7, e = 16): { src: number[]; dst: number[] } {
  const rng = new Rng(seed);
  const src: number[] = [];
  const dst: number[] = [];
  const active = n - 1; // node n-1 is isolated
  for (let k = 0; k < e; k++) {
    src.push(rng.int(active));
    dst.push(rng.int(active));
  }
  // a guaranteed duplicate and self-loops (one duplicated)
  src.push(src[0], 2, 2, 3);
  dst.push(dst[0], 2, 2, 3);
  return { src, dst };
}

export function randn(rng: Rng, size: number, scale = 1): number[] {
  return Array.from({ length: size }, () => rng.normal() * scale);
}

/** x [n, i] · Wᵀ with W [o, i] → [n, o]. */
export function linear(
  x: number[],
  n: number,
  i: number,
  w: number[],
  o: number,
  b?: number[],
): number[] {
  const out = new Array(n * o).fill(0);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < o; c++) {
      let s = b ? b[c] : 0;
      for (let k = 0; k < i; k++) s += x[r * i + k] * w[c * i + k];
      out[r * o + c] = s;
    }
  }
  return out;
}

/** x [n, i] · W with W [i, o]. */
export function matmul(x: number[], n: number, i: number, w: number[], o: number): number[] {
  const out = new Array(n * o).fill(0);
  for (let r = 0; r < n; r++)
    for (let c = 0; c < o; c++) {
      let s = 0;
      for (let k = 0; k < i; k++) s += x[r * i + k] * w[k * o + c];
      out[r * o + c] = s;
    }
  return out;
}

export function gcnRef(args: {
  x: number[];
  n: number;
  inC: number;
  outC: number;
  weight: number[];
  bias: number[];
  src: number[];
  dst: number[];
  edgeWeight?: number[];
  improved?: boolean;
}): number[] {
  const { n, outC } = args;
  const fill = args.improved ? 2 : 1;
  const edges: RefEdge[] = [];
  const loop = new Array(n).fill(fill);
  args.src.forEach((s, k) => {
    const w = args.edgeWeight ? args.edgeWeight[k] : 1;
    if (s === args.dst[k]) loop[s] = w;
    else edges.push({ s, d: args.dst[k], w });
  });
  for (let i = 0; i < n; i++) edges.push({ s: i, d: i, w: loop[i] });
  const deg = new Array(n).fill(0);
  for (const e of edges) deg[e.d] += e.w;
  const dinv = deg.map((d) => (d > 0 ? 1 / Math.sqrt(d) : 0));
  const h = linear(args.x, n, args.inC, args.weight, outC);
  const out = new Array(n * outC).fill(0);
  for (const e of edges) {
    const c = dinv[e.s] * e.w * dinv[e.d];
    for (let k = 0; k < outC; k++) out[e.d * outC + k] += c * h[e.s * outC + k];
  }
  for (let i = 0; i < n; i++) for (let k = 0; k < outC; k++) out[i * outC + k] += args.bias[k];
  return out;
}

export function gatRef(args: {
  x: number[];
  n: number;
  inC: number;
  outC: number;
  heads: number;
  concat: boolean;
  weight: number[];
  attSrc: number[];
  attDst: number[];
  bias: number[];
  src: number[];
  dst: number[];
  slope?: number;
}): { out: number[]; alpha: number[][] } {
  const { n, outC: c, heads: hN } = args;
  const slope = args.slope ?? 0.2;
  const edges: { s: number; d: number }[] = [];
  args.src.forEach((s, k) => {
    if (s !== args.dst[k]) edges.push({ s, d: args.dst[k] });
  });
  for (let i = 0; i < n; i++) edges.push({ s: i, d: i });
  const h = linear(args.x, n, args.inC, args.weight, hN * c);
  const score = (node: number, head: number, att: number[]) => {
    let s = 0;
    for (let k = 0; k < c; k++) s += h[node * hN * c + head * c + k] * att[head * c + k];
    return s;
  };
  const alpha: number[][] = edges.map(() => new Array(hN).fill(0));
  for (let head = 0; head < hN; head++) {
    for (let i = 0; i < n; i++) {
      const inc = edges.map((e, k) => [e, k] as const).filter(([e]) => e.d === i);
      const logits = inc.map(([e]) => {
        const v = score(e.s, head, args.attSrc) + score(e.d, head, args.attDst);
        return v > 0 ? v : slope * v;
      });
      const m = Math.max(...logits);
      const ex = logits.map((v) => Math.exp(v - m));
      const z = ex.reduce((a, b) => a + b, 0);
      inc.forEach(([, k], t) => {
        alpha[k][head] = ex[t] / z;
      });
    }
  }
  const width = args.concat ? hN * c : c;
  const out = new Array(n * width).fill(0);
  edges.forEach((e, k) => {
    for (let head = 0; head < hN; head++) {
      for (let q = 0; q < c; q++) {
        const v = alpha[k][head] * h[e.s * hN * c + head * c + q];
        if (args.concat) out[e.d * width + head * c + q] += v;
        else out[e.d * width + q] += v / hN;
      }
    }
  });
  for (let i = 0; i < n; i++) for (let q = 0; q < width; q++) out[i * width + q] += args.bias[q];
  return { out, alpha };
}

/** Θ_r as [i, o] for each relation from PyG's parameterisations. */
export function rgcnWeights(args: {
  numRelations: number;
  inC: number;
  outC: number;
  weight: number[];
  comp?: number[];
  numBases?: number;
  numBlocks?: number;
}): number[][] {
  const { numRelations: r, inC: i, outC: o } = args;
  const out: number[][] = [];
  for (let rel = 0; rel < r; rel++) {
    const w = new Array(i * o).fill(0);
    if (args.numBases !== undefined) {
      const b = args.numBases;
      for (let q = 0; q < b; q++) {
        const a = args.comp![rel * b + q];
        for (let k = 0; k < i * o; k++) w[k] += a * args.weight[q * i * o + k];
      }
    } else if (args.numBlocks !== undefined) {
      const nb = args.numBlocks;
      const bi = i / nb;
      const bo = o / nb;
      for (let blk = 0; blk < nb; blk++)
        for (let p = 0; p < bi; p++)
          for (let q = 0; q < bo; q++) {
            w[(blk * bi + p) * o + blk * bo + q] =
              args.weight[((rel * nb + blk) * bi + p) * bo + q];
          }
    } else {
      for (let k = 0; k < i * o; k++) w[k] = args.weight[rel * i * o + k];
    }
    out.push(w);
  }
  return out;
}

export function rgcnRef(args: {
  x: number[];
  n: number;
  inC: number;
  outC: number;
  relW: number[][];
  root?: number[];
  bias?: number[];
  src: number[];
  dst: number[];
  type: number[];
  aggr: 'mean' | 'sum';
}): number[] {
  const { n, inC: i, outC: o } = args;
  const out = args.root ? matmul(args.x, n, i, args.root, o) : new Array(n * o).fill(0);
  args.relW.forEach((w, rel) => {
    for (let node = 0; node < n; node++) {
      const nb = args.src.filter((_, k) => args.type[k] === rel && args.dst[k] === node);
      if (nb.length === 0) continue;
      const agg = new Array(i).fill(0);
      for (const j of nb) for (let k = 0; k < i; k++) agg[k] += args.x[j * i + k];
      if (args.aggr === 'mean') for (let k = 0; k < i; k++) agg[k] /= nb.length;
      const y = matmul(agg, 1, i, w, o);
      for (let k = 0; k < o; k++) out[node * o + k] += y[k];
    }
  });
  if (args.bias)
    for (let node = 0; node < n; node++)
      for (let k = 0; k < o; k++) out[node * o + k] += args.bias[k];
  return out;
}

export function sageRef(args: {
  x: number[];
  n: number;
  inC: number;
  outC: number;
  wl: number[];
  bl: number[];
  wr: number[];
  src: number[];
  dst: number[];
  aggr: 'mean' | 'max' | 'sum';
  normalize: boolean;
}): number[] {
  const { n, inC: i, outC: o } = args;
  const agg = new Array(n * i).fill(0);
  for (let node = 0; node < n; node++) {
    const nb = args.src.filter((_, k) => args.dst[k] === node);
    if (nb.length === 0) continue;
    for (let k = 0; k < i; k++) {
      const vals = nb.map((j) => args.x[j * i + k]);
      agg[node * i + k] =
        args.aggr === 'max'
          ? Math.max(...vals)
          : vals.reduce((a, b) => a + b, 0) / (args.aggr === 'mean' ? vals.length : 1);
    }
  }
  const a = linear(agg, n, i, args.wl, o, args.bl);
  const r = linear(args.x, n, i, args.wr, o);
  const out = a.map((v, k) => v + r[k]);
  if (args.normalize) {
    for (let node = 0; node < n; node++) {
      let s = 0;
      for (let k = 0; k < o; k++) s += out[node * o + k] ** 2;
      const norm = Math.max(Math.sqrt(s), 1e-12);
      for (let k = 0; k < o; k++) out[node * o + k] /= norm;
    }
  }
  return out;
}

/**
 * Central finite differences (float64) of `loss(params)` for each entry of
 * `params[name]`: the gradient the layers' autodiff must reproduce.
 */
export function numericGrad(
  params: Record<string, number[]>,
  loss: (p: Record<string, number[]>) => number,
  eps = 1e-6,
): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [name, values] of Object.entries(params)) {
    out[name] = values.map((_, k) => {
      const plus = { ...params, [name]: values.map((v, q) => (q === k ? v + eps : v)) };
      const minus = { ...params, [name]: values.map((v, q) => (q === k ? v - eps : v)) };
      return (loss(plus) - loss(minus)) / (2 * eps);
    });
  }
  return out;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k] * b[k];
  return s;
}
