// Independent float64 reference implementations of every loss, written as
// plain loops over flat arrays (no tensor code), from the formulas in
// ../shared/reference/kd-lora-NOTES.md §1.2 and the anchors' code.

export interface Arr {
  data: Float64Array;
  shape: number[];
}

export function arr(data: ArrayLike<number>, shape: number[]): Arr {
  return { data: Float64Array.from(data), shape };
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function softmaxRow(x: ArrayLike<number>, off: number, n: number, t = 1): number[] {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, x[off + i] / t);
  let z = 0;
  const e: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = Math.exp(x[off + i] / t - max);
    e.push(v);
    z += v;
  }
  return e.map((v) => v / z);
}

function kl(p: number[], q: number[]): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) if (p[i] > 0) s += p[i] * (Math.log(p[i]) - Math.log(q[i]));
  return s;
}

/** Rows = positions (leading dims flattened), V = last dim; mask over positions (1 = valid). */
function perPosition(
  s: Arr,
  mask: ArrayLike<number> | undefined,
  f: (so: number, to: number, v: number) => number,
): number {
  const v = s.shape[s.shape.length - 1];
  const rows = size(s.shape) / v;
  let sum = 0;
  let n = 0;
  for (let r = 0; r < rows; r++) {
    if (mask && !mask[r]) continue;
    sum += f(r * v, r * v, v);
    n++;
  }
  return n === 0 ? 0 : sum / n;
}

export function refLogitKd(
  s: Arr,
  t: Arr,
  o: {
    temperature?: number;
    direction?: 'forward' | 'reverse';
    scale?: boolean;
    mask?: number[];
  } = {},
): number {
  const T = o.temperature ?? 1;
  const m = perPosition(s, o.mask, (so, to, v) => {
    const ps = softmaxRow(s.data, so, v, T);
    const pt = softmaxRow(t.data, to, v, T);
    return o.direction === 'reverse' ? kl(ps, pt) : kl(pt, ps);
  });
  return (o.scale ?? true) ? T * T * m : m;
}

export function refSoftCe(
  s: Arr,
  t: Arr,
  o: { temperature?: number; scale?: boolean; mask?: number[] } = {},
): number {
  const T = o.temperature ?? 1;
  const m = perPosition(s, o.mask, (so, to, v) => {
    const ps = softmaxRow(s.data, so, v, T);
    const pt = softmaxRow(t.data, to, v, T);
    let ce = 0;
    for (let i = 0; i < v; i++) ce -= pt[i] * Math.log(ps[i]);
    return ce;
  });
  return (o.scale ?? true) ? T * T * m : m;
}

/** TRL's generalized_jsd_loss, element by element. */
export function refJsd(
  s: Arr,
  t: Arr,
  o: { temperature?: number; beta?: number; scale?: boolean; mask?: number[] } = {},
): number {
  const T = o.temperature ?? 1;
  const beta = o.beta ?? 0.5;
  const m = perPosition(s, o.mask, (so, to, v) => {
    const ps = softmaxRow(s.data, so, v, T);
    const pt = softmaxRow(t.data, to, v, T);
    if (beta === 0) return kl(pt, ps);
    if (beta === 1) return kl(ps, pt);
    const mix = ps.map((p, i) => beta * pt[i] + (1 - beta) * p);
    return beta * kl(pt, mix) + (1 - beta) * kl(ps, mix);
  });
  return (o.scale ?? true) ? T * T * m : m;
}

export function refLogitMse(
  s: Arr,
  t: Arr,
  o: { temperature?: number; scale?: boolean; mask?: number[] } = {},
): number {
  const T = o.temperature ?? 1;
  const m = perPosition(s, o.mask, (so, to, v) => {
    let e = 0;
    for (let i = 0; i < v; i++) e += (s.data[so + i] / T - t.data[to + i] / T) ** 2;
    return e / v;
  });
  return (o.scale ?? true) ? T * T * m : m;
}

/** h_s [B,T,ds] → h_s Wᵀ + b with W [dt, ds] (torch Linear). */
export function refProject(h: Arr, w?: Arr, b?: Arr): Arr {
  if (!w) return h;
  const [B, T, ds] = h.shape;
  const dt = w.shape[0];
  const out = new Float64Array(B * T * dt);
  for (let r = 0; r < B * T; r++) {
    for (let j = 0; j < dt; j++) {
      let acc = b ? b.data[j] : 0;
      for (let k = 0; k < ds; k++) acc += h.data[r * ds + k] * w.data[j * ds + k];
      out[r * dt + j] = acc;
    }
  }
  return { data: out, shape: [B, T, dt] };
}

export function refHiddenMse(
  s: Arr,
  t: Arr,
  o: { mask?: number[]; w?: Arr; b?: Arr } = {},
): number {
  const p = refProject(s, o.w, o.b);
  const d = t.shape[2];
  const rows = t.shape[0] * t.shape[1];
  let sum = 0;
  let n = 0;
  for (let r = 0; r < rows; r++) {
    if (o.mask && !o.mask[r]) continue;
    for (let j = 0; j < d; j++) sum += (p.data[r * d + j] - t.data[r * d + j]) ** 2;
    n++;
  }
  return n === 0 ? 0 : sum / (n * d);
}

export function refHiddenCos(
  s: Arr,
  t: Arr,
  o: { mask?: number[]; w?: Arr; b?: Arr } = {},
): number {
  const p = refProject(s, o.w, o.b);
  const d = t.shape[2];
  const rows = t.shape[0] * t.shape[1];
  let sum = 0;
  let n = 0;
  for (let r = 0; r < rows; r++) {
    if (o.mask && !o.mask[r]) continue;
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let j = 0; j < d; j++) {
      dot += p.data[r * d + j] * t.data[r * d + j];
      na += p.data[r * d + j] ** 2;
      nb += t.data[r * d + j] ** 2;
    }
    sum += 1 - dot / (Math.max(Math.sqrt(na), 1e-8) * Math.max(Math.sqrt(nb), 1e-8));
    n++;
  }
  return n === 0 ? 0 : sum / n;
}

/** [B,H,T,S] value at (b,h,q,k). */
const at4 = (x: Arr, b: number, h: number, q: number, k: number) =>
  x.data[((b * x.shape[1] + h) * x.shape[2] + q) * x.shape[3] + k];

/** Probability rows of a [B,H,T,S] tensor (softmax when from scores), averaged over heads when asked. */
function attentionRows(x: Arr, fromScores: boolean, average: boolean): number[][][][] {
  const [B, H, T, S] = x.shape;
  const rows: number[][][][] = [];
  for (let b = 0; b < B; b++) {
    const hs: number[][][] = [];
    for (let h = 0; h < H; h++) {
      const qs: number[][] = [];
      for (let q = 0; q < T; q++) {
        const raw = Array.from({ length: S }, (_, k) => at4(x, b, h, q, k));
        qs.push(fromScores ? softmaxRow(raw, 0, S) : raw);
      }
      hs.push(qs);
    }
    if (average) {
      const avg = Array.from({ length: T }, (_, q) =>
        Array.from({ length: S }, (_, k) => hs.reduce((a, hh) => a + hh[q][k], 0) / H),
      );
      rows.push([avg]);
    } else rows.push(hs);
  }
  return rows;
}

export function refAttentionKl(
  s: Arr,
  t: Arr,
  o: { mask?: number[][]; input?: 'probs' | 'scores' } = {},
): number {
  const average = s.shape[1] !== t.shape[1];
  const fromScores = o.input === 'scores';
  const ps = attentionRows(s, fromScores, average);
  const pt = attentionRows(t, fromScores, average);
  const [B, , T, S] = t.shape;
  let sum = 0;
  let n = 0;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < pt[b].length; h++) {
      for (let q = 0; q < T; q++) {
        if (o.mask && !o.mask[b][S - T + q]) continue;
        sum += kl(pt[b][h][q], ps[b][h][q]);
        n++;
      }
    }
  }
  return n === 0 ? 0 : sum / n;
}

export function refAttentionMse(
  s: Arr,
  t: Arr,
  o: { mask?: number[][]; threshold?: number } = {},
): number {
  const thr = o.threshold ?? -100;
  const [B, , T, S] = t.shape;
  const average = s.shape[1] !== t.shape[1];
  const z = (x: Arr, b: number, h: number, q: number, k: number) => {
    const v = at4(x, b, h, q, k);
    return v > thr ? v : 0;
  };
  const val = (x: Arr, b: number, h: number, q: number, k: number) => {
    if (!average) return z(x, b, h, q, k);
    let a = 0;
    for (let hh = 0; hh < x.shape[1]; hh++) a += z(x, b, hh, q, k);
    return a / x.shape[1];
  };
  const H = average ? 1 : t.shape[1];
  let sum = 0;
  let count = 0;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let q = 0; q < T; q++) {
        for (let k = 0; k < S; k++) {
          if (o.mask && !(o.mask[b][S - T + q] && o.mask[b][k])) continue;
          sum += (val(s, b, h, q, k) - val(t, b, h, q, k)) ** 2;
          count++;
        }
      }
    }
  }
  return count === 0 ? 0 : sum / count;
}

/** MiniLM relation KL on [B,H,S,dh] (optionally regrouped into R heads). */
export function refRelationKl(
  s: Arr,
  t: Arr,
  o: { mask?: number[][]; relationHeads?: number } = {},
): number {
  const regroup = (x: Arr, r: number | undefined): number[][][][] => {
    const [B, H, S, dh] = x.shape;
    const out: number[][][][] = [];
    for (let b = 0; b < B; b++) {
      // Concatenated heads per position: [S, H·dh].
      const cat = Array.from({ length: S }, (_, p) =>
        Array.from({ length: H * dh }, (_, j) => at4(x, b, Math.floor(j / dh), p, j % dh)),
      );
      const R = r ?? H;
      const d = (H * dh) / R;
      out.push(
        Array.from({ length: R }, (_, h) => cat.map((row) => row.slice(h * d, (h + 1) * d))),
      );
    }
    return out;
  };
  const rel = (x: number[][], mask: number[] | undefined): number[][] => {
    const d = x[0].length;
    return x.map((qi) => {
      const scores = x.map((kj, j) => {
        let dot = 0;
        for (let c = 0; c < d; c++) dot += qi[c] * kj[c];
        return dot / Math.sqrt(d) + (mask && !mask[j] ? -10000 : 0);
      });
      return softmaxRow(scores, 0, scores.length);
    });
  };
  const xs = regroup(s, o.relationHeads);
  const xt = regroup(t, o.relationHeads);
  let sum = 0;
  let n = 0;
  for (let b = 0; b < xs.length; b++) {
    const mask = o.mask?.[b];
    for (let h = 0; h < xt[b].length; h++) {
      const rs = rel(xs[b][h], mask);
      const rt = rel(xt[b][h], mask);
      for (let q = 0; q < rt.length; q++) {
        if (mask && !mask[q]) continue;
        sum += kl(rt[q], rs[q]);
        n++;
      }
    }
  }
  return n === 0 ? 0 : sum / n;
}

export function refCrossEntropy(
  logits: Arr,
  labels: number[],
  o: { mask?: number[]; ignoreIndex?: number; labelSmoothing?: number } = {},
): number {
  const C = logits.shape[logits.shape.length - 1];
  const ignore = o.ignoreIndex ?? -100;
  const eps = o.labelSmoothing ?? 0;
  let sum = 0;
  let n = 0;
  labels.forEach((y, r) => {
    if (y === ignore || (o.mask && !o.mask[r])) return;
    const p = softmaxRow(logits.data, r * C, C);
    const lp = p.map(Math.log);
    const mean = lp.reduce((a, b) => a + b, 0) / C;
    sum += (1 - eps) * -lp[y] + eps * -mean;
    n++;
  });
  return n === 0 ? 0 : sum / n;
}

/** HF causal LM loss: position t predicts token t+1; a target counts when its mask is 1. */
export function refCausalLm(logits: Arr, ids: number[][], mask?: number[][]): number {
  const [B, T, V] = logits.shape;
  let sum = 0;
  let n = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T - 1; t++) {
      if (mask && !mask[b][t + 1]) continue;
      const p = softmaxRow(logits.data, (b * T + t) * V, V);
      sum -= Math.log(p[ids[b][t + 1]]);
      n++;
    }
  }
  return n === 0 ? 0 : sum / n;
}

/** Central finite differences of a float64 function of a flat array. */
export function numericGrad(
  f: (x: Float64Array) => number,
  x: Float64Array,
  eps = 1e-5,
): Float64Array {
  const g = new Float64Array(x.length);
  const y = Float64Array.from(x);
  for (let i = 0; i < x.length; i++) {
    y[i] = x[i] + eps;
    const up = f(y);
    y[i] = x[i] - eps;
    const down = f(y);
    y[i] = x[i];
    g[i] = (up - down) / (2 * eps);
  }
  return g;
}

/** Deterministic pseudo-random numbers for test inputs (no Math.random). */
export function seeded(n: number, seed: number, scale = 1): Float64Array {
  const out = new Float64Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    // Rounded to float32, so the tensors and the reference see the same numbers.
    out[i] = Math.fround(((s / 2 ** 32) * 2 - 1) * scale);
  }
  return out;
}
