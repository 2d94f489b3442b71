import { ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';

export type ScorerId = 'transe' | 'distmult' | 'complex' | 'rotate';

export interface ScorerOptions {
  /** Distance scorers score γ − d (TransE, RotatE; KnowledgeGraphEmbedding's convention). */
  gamma?: number;
  /** TransE's norm: 1 or 2. */
  p?: 1 | 2;
  /**
   * RotatE relation parameterisation: phase = r / (range / π) with
   * range = (γ + 2) / dim, as in KnowledgeGraphEmbedding.
   */
  dim?: number;
}

/**
 * A triple scorer f(h, r, t) — higher means more plausible — with batched
 * forms that score one (h, r) or (r, t) query against every candidate entity.
 * Complex embeddings are stored as `[re | im]` halves of a real vector (the
 * wasm backend has no complex kernels).
 */
export interface KgScorer {
  readonly id: ScorerId;
  /** Entity vector width for embedding dimension `dim` (2·dim for complex scorers). */
  entityWidth(dim: number): number;
  relationWidth(dim: number): number;
  /** f(h_b, r_b, t_b) for a batch of triples: `[B]`. */
  score(h: tf.Tensor2D, r: tf.Tensor2D, t: tf.Tensor2D): tf.Tensor1D;
  /** f(h_b, r_b, e) for every candidate e: `[B, N]`. */
  scoreTails(h: tf.Tensor2D, r: tf.Tensor2D, candidates: tf.Tensor2D): tf.Tensor2D;
  /** f(e, r_b, t_b) for every candidate e: `[B, N]`. */
  scoreHeads(r: tf.Tensor2D, t: tf.Tensor2D, candidates: tf.Tensor2D): tf.Tensor2D;
  /** Per-triple factor magnitudes for N3 regularisation (Lacroix et al. 2018): `[B, k]` each. */
  moduli(h: tf.Tensor2D, r: tf.Tensor2D, t: tf.Tensor2D): tf.Tensor2D[];
}

function halves(x: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
  const d = x.shape[1] / 2;
  return [tf.slice(x, [0, 0], [-1, d]), tf.slice(x, [0, d], [-1, d])];
}

/** Complex modulus of `[re | im]` rows. */
function modulus(x: tf.Tensor2D): tf.Tensor2D {
  const [re, im] = halves(x);
  return tf.sqrt(tf.add(tf.add(tf.square(re), tf.square(im)), 1e-18)) as tf.Tensor2D;
}

/**
 * Σ over the last axis of ‖q_b − e‖ for every (query, candidate) pair, in
 * chunks of candidates so the `[B, n, w]` difference stays small.
 * `kind`: `l1`/`l2` on real vectors, `complex` = Σ_k |q_k − e_k| (moduli).
 */
function pairwiseDistance(
  q: tf.Tensor2D,
  cand: tf.Tensor2D,
  kind: 'l1' | 'l2' | 'complex',
): tf.Tensor2D {
  const [b, w] = q.shape;
  const n = cand.shape[0];
  const chunk = Math.max(1, Math.floor(4_000_000 / Math.max(1, b * w)));
  const parts: tf.Tensor2D[] = [];
  for (let start = 0; start < n; start += chunk) {
    const size = Math.min(chunk, n - start);
    parts.push(
      tf.tidy(() => {
        const c = tf.slice(cand, [start, 0], [size, w]);
        const diff = tf.sub(tf.expandDims(q, 1), tf.expandDims(c, 0)); // [B, n, w]
        if (kind === 'l1') return tf.sum(tf.abs(diff), 2) as tf.Tensor2D;
        if (kind === 'l2') return tf.sqrt(tf.add(tf.sum(tf.square(diff), 2), 1e-18)) as tf.Tensor2D;
        const d = w / 2;
        const re = tf.slice(diff, [0, 0, 0], [-1, -1, d]);
        const im = tf.slice(diff, [0, 0, d], [-1, -1, d]);
        return tf.sum(
          tf.sqrt(tf.add(tf.add(tf.square(re), tf.square(im)), 1e-18)),
          2,
        ) as tf.Tensor2D;
      }),
    );
  }
  return (parts.length === 1 ? parts[0] : tf.concat(parts, 1)) as tf.Tensor2D;
}

function rowDistance(x: tf.Tensor2D, kind: 'l1' | 'l2' | 'complex'): tf.Tensor1D {
  if (kind === 'l1') return tf.sum(tf.abs(x), 1) as tf.Tensor1D;
  if (kind === 'l2') return tf.sqrt(tf.add(tf.sum(tf.square(x), 1), 1e-18)) as tf.Tensor1D;
  return tf.sum(modulus(x), 1) as tf.Tensor1D;
}

/** TransE (Bordes et al. 2013): γ − ‖h + r − t‖_p. */
export function transe(options: ScorerOptions = {}): KgScorer {
  const gamma = options.gamma ?? 12;
  const kind = (options.p ?? 1) === 1 ? 'l1' : 'l2';
  return {
    id: 'transe',
    entityWidth: (d) => d,
    relationWidth: (d) => d,
    score: (h, r, t) =>
      tf.tidy(() => tf.sub(gamma, rowDistance(tf.sub(tf.add(h, r), t) as tf.Tensor2D, kind))),
    scoreTails: (h, r, c) => tf.tidy(() => tf.sub(gamma, pairwiseDistance(tf.add(h, r), c, kind))),
    // ‖e + r − t‖ = ‖e − (t − r)‖
    scoreHeads: (r, t, c) => tf.tidy(() => tf.sub(gamma, pairwiseDistance(tf.sub(t, r), c, kind))),
    moduli: (h, r, t) => [tf.abs(h), tf.abs(r), tf.abs(t)],
  };
}

/** DistMult (Yang et al. 2015): ⟨h, r, t⟩. */
export function distmult(): KgScorer {
  return {
    id: 'distmult',
    entityWidth: (d) => d,
    relationWidth: (d) => d,
    score: (h, r, t) => tf.tidy(() => tf.sum(tf.mul(tf.mul(h, r), t), 1)),
    scoreTails: (h, r, c) => tf.tidy(() => tf.matMul(tf.mul(h, r), c, false, true)),
    scoreHeads: (r, t, c) => tf.tidy(() => tf.matMul(tf.mul(r, t), c, false, true)),
    moduli: (h, r, t) => [tf.abs(h), tf.abs(r), tf.abs(t)],
  };
}

/** ComplEx (Trouillon et al. 2016): Re⟨h, r, t̄⟩ on `[re | im]` vectors. */
export function complex(): KgScorer {
  return {
    id: 'complex',
    entityWidth: (d) => 2 * d,
    relationWidth: (d) => 2 * d,
    score: (h, r, t) =>
      tf.tidy(() => {
        const [hr, hi] = halves(h);
        const [rr, ri] = halves(r);
        const [tr, ti] = halves(t);
        // Re((hr + i·hi)(rr + i·ri)(tr − i·ti))
        const are = tf.sub(tf.mul(hr, rr), tf.mul(hi, ri));
        const aim = tf.add(tf.mul(hr, ri), tf.mul(hi, rr));
        return tf.sum(tf.add(tf.mul(are, tr), tf.mul(aim, ti)), 1);
      }),
    scoreTails: (h, r, c) =>
      tf.tidy(() => {
        const [hr, hi] = halves(h);
        const [rr, ri] = halves(r);
        const q = tf.concat(
          [tf.sub(tf.mul(hr, rr), tf.mul(hi, ri)), tf.add(tf.mul(hr, ri), tf.mul(hi, rr))],
          1,
        );
        return tf.matMul(q, c, false, true);
      }),
    scoreHeads: (r, t, c) =>
      tf.tidy(() => {
        const [rr, ri] = halves(r);
        const [tr, ti] = halves(t);
        // Re(e · (r t̄)) = e_re·Re(r t̄) − e_im·Im(r t̄)
        const bre = tf.add(tf.mul(rr, tr), tf.mul(ri, ti));
        const bim = tf.sub(tf.mul(ri, tr), tf.mul(rr, ti));
        return tf.matMul(tf.concat([bre, tf.neg(bim)], 1), c, false, true);
      }),
    moduli: (h, r, t) => [modulus(h), modulus(r), modulus(t)],
  };
}

/** RotatE (Sun et al. 2019): γ − Σ_k |h_k · e^{iθ_k} − t_k|. */
export function rotate(options: ScorerOptions = {}): KgScorer {
  const gamma = options.gamma ?? 12;
  const dim = options.dim;
  if (!dim) throw new ValidationError('rotate needs the embedding dimension (options.dim)');
  const scale = Math.PI / ((gamma + 2) / dim);
  const rotation = (r: tf.Tensor2D) => {
    const phase = tf.mul(r, scale);
    return [tf.cos(phase), tf.sin(phase)] as const;
  };
  const rotateBy = (x: tf.Tensor2D, r: tf.Tensor2D, conj: boolean) => {
    const [xr, xi] = halves(x);
    const [c, s0] = rotation(r);
    const s = conj ? tf.neg(s0) : s0;
    return tf.concat(
      [tf.sub(tf.mul(xr, c), tf.mul(xi, s)), tf.add(tf.mul(xr, s), tf.mul(xi, c))],
      1,
    ) as tf.Tensor2D;
  };
  return {
    id: 'rotate',
    entityWidth: (d) => 2 * d,
    relationWidth: (d) => d,
    score: (h, r, t) =>
      tf.tidy(() =>
        tf.sub(gamma, rowDistance(tf.sub(rotateBy(h, r, false), t) as tf.Tensor2D, 'complex')),
      ),
    scoreTails: (h, r, c) =>
      tf.tidy(() => tf.sub(gamma, pairwiseDistance(rotateBy(h, r, false), c, 'complex'))),
    // |e∘r − t| = |e − t∘r̄| because |r_k| = 1
    scoreHeads: (r, t, c) =>
      tf.tidy(() => tf.sub(gamma, pairwiseDistance(rotateBy(t, r, true), c, 'complex'))),
    moduli: (h, r, t) => [modulus(h), tf.onesLike(r), modulus(t)],
  };
}

export function makeScorer(id: ScorerId, options: ScorerOptions = {}): KgScorer {
  switch (id) {
    case 'transe':
      return transe(options);
    case 'distmult':
      return distmult();
    case 'complex':
      return complex();
    case 'rotate':
      return rotate(options);
    default:
      throw new ValidationError(
        `unknown scorer "${id as string}"; expected transe, distmult, complex or rotate`,
      );
  }
}
