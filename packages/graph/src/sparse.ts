import { ShapeError, ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { type CompressedIndex, compress, type EdgeIndex } from './edge-index.js';

/**
 * A sparse matrix in COO form with lazily built, cached CSR and CSC views.
 * Structure lives on the host (it is fixed across epochs); values are either
 * fixed (`values`, e.g. bag-of-words features) or supplied per call as a
 * tensor to `spmm` so that they can be learned (GCN edge weights, GAT
 * attention).
 */
export class SparseMatrix {
  readonly rows: Int32Array;
  readonly cols: Int32Array;
  readonly shape: [number, number];
  /** Fixed values; undefined means all ones. */
  readonly values: Float32Array | undefined;
  #csr: CompressedIndex | undefined;
  #csc: CompressedIndex | undefined;

  constructor(
    rows: Int32Array,
    cols: Int32Array,
    shape: [number, number],
    values?: Float32Array,
    where = 'SparseMatrix',
  ) {
    if (rows.length !== cols.length || (values && values.length !== rows.length)) {
      throw new ShapeError(
        `rows, cols and values must have one entry per non-zero; got ${rows.length}, ${cols.length}, ${values?.length ?? '-'}`,
        { where },
      );
    }
    const [r, c] = shape;
    for (let k = 0; k < rows.length; k++) {
      if (rows[k] < 0 || rows[k] >= r || cols[k] < 0 || cols[k] >= c) {
        throw new ValidationError(
          `entry ${k} at (${rows[k]}, ${cols[k]}) is outside the ${r}×${c} matrix`,
          [{ path: `${where}[${k}]`, message: 'index out of range' }],
          { where: `${where}[${k}]` },
        );
      }
    }
    this.rows = rows;
    this.cols = cols;
    this.shape = [r, c];
    this.values = values;
  }

  /**
   * The aggregation matrix of a graph (PyG's `adj_t`): entry (i, j) for each
   * edge j → i, so `spmm(adj, w, x)[i] = Σ_{j→i} w_e · x[j]`.
   */
  static fromEdgeIndex(edgeIndex: EdgeIndex, values?: Float32Array): SparseMatrix {
    const n = edgeIndex.numNodes;
    const m = new SparseMatrix(edgeIndex.dst, edgeIndex.src, [n, n], values, 'adjacency');
    // The edge index may already have grouped its edges by target: share it.
    m.#csr = edgeIndex.byDst();
    return m;
  }

  /** Non-zeros of a dense row-major matrix. */
  static fromDense(data: ArrayLike<number>, shape: [number, number]): SparseMatrix {
    const rows: number[] = [];
    const cols: number[] = [];
    const vals: number[] = [];
    for (let i = 0; i < shape[0]; i++) {
      for (let j = 0; j < shape[1]; j++) {
        const v = data[i * shape[1] + j];
        if (v !== 0) {
          rows.push(i);
          cols.push(j);
          vals.push(v);
        }
      }
    }
    return new SparseMatrix(
      Int32Array.from(rows),
      Int32Array.from(cols),
      shape,
      Float32Array.from(vals),
    );
  }

  get nnz(): number {
    return this.rows.length;
  }

  /** Entries grouped by row. */
  csr(): CompressedIndex {
    this.#csr ??= compress(this.rows, this.shape[0]);
    return this.#csr;
  }

  /** Entries grouped by column. */
  csc(): CompressedIndex {
    this.#csc ??= compress(this.cols, this.shape[1]);
    return this.#csc;
  }

  /** Same structure (and cached CSR/CSC), new fixed values. */
  withValues(values: Float32Array | undefined): SparseMatrix {
    const m = new SparseMatrix(this.rows, this.cols, this.shape, values, 'SparseMatrix');
    m.#csr = this.#csr;
    m.#csc = this.#csc;
    return m;
  }

  /** Each row scaled to sum to 1 (PyG `NormalizeFeatures`); all-zero rows stay zero. */
  normalizeRows(): SparseMatrix {
    const vals = this.values ?? new Float32Array(this.nnz).fill(1);
    const sums = new Float64Array(this.shape[0]);
    for (let k = 0; k < this.nnz; k++) sums[this.rows[k]] += vals[k];
    const out = new Float32Array(this.nnz);
    for (let k = 0; k < this.nnz; k++) {
      const s = sums[this.rows[k]];
      out[k] = s === 0 ? 0 : vals[k] / s;
    }
    return this.withValues(out);
  }

  /** Dense `[rows, cols]` tensor (duplicates summed), for baselines and tests. */
  toDense(values?: ArrayLike<number>): tf.Tensor2D {
    const vals = values ?? this.values;
    const out = new Float32Array(this.shape[0] * this.shape[1]);
    for (let k = 0; k < this.nnz; k++) {
      out[this.rows[k] * this.shape[1] + this.cols[k]] += vals ? vals[k] : 1;
    }
    return tf.tensor2d(out, this.shape);
  }
}

/**
 * Sparse × dense product `A · X` (PyG's `message_and_aggregate` fast path,
 * `torch.sparse.mm`), differentiable in `X` and, when `values` is a tensor,
 * in the values too.
 *
 * - `values` `[nnz]`: `out[r] = Σ_{(r,c)} v · X[c]`;
 * - `values` `[nnz, H]` (multi-head attention): `X` is `[cols, H·C]` and head
 *   h of each row uses its own coefficient: `out[r, h·C + k] = Σ v[e,h] · X[c, h·C + k]`.
 *
 * The kernel is a host loop over the CSR rows (and CSC columns for `dX`), so
 * it needs no `E × F` intermediate and runs the same on every backend.
 */
export function spmm(
  a: SparseMatrix,
  values: tf.Tensor | Float32Array | undefined,
  x: tf.Tensor2D,
): tf.Tensor2D {
  if (x.rank !== 2 || x.shape[0] !== a.shape[1]) {
    throw new ShapeError(
      `dense operand must be [${a.shape[1]}, F] for a ${a.shape[0]}×${a.shape[1]} sparse matrix, got [${x.shape.join(', ')}]`,
      { where: 'spmm' },
    );
  }
  const f = x.shape[1];
  if (values instanceof tf.Tensor) {
    const vShape = values.shape as number[];
    const heads = values.rank === 2 ? vShape[1] : 1;
    if (values.shape[0] !== a.nnz || values.rank > 2 || f % heads !== 0) {
      throw new ShapeError(
        `values must be [${a.nnz}] or [${a.nnz}, H] with H dividing ${f}, got [${values.shape.join(', ')}]`,
        { where: 'spmm' },
      );
    }
    const op = customOp(([v, d], save) => {
      save([v, d]);
      const vData = v.dataSync() as Float32Array;
      const out = forward(a, vData, heads, d.dataSync() as Float32Array, f);
      return {
        value: tf.tensor2d(out, [a.shape[0], f]),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const dyData = dy.dataSync() as Float32Array;
          const vs = saved[0].dataSync() as Float32Array;
          const xs = saved[1].dataSync() as Float32Array;
          return [
            tf.tensor(gradValues(a, heads, dyData, xs, f), saved[0].shape),
            tf.tensor2d(gradDense(a, vs, heads, dyData, f), [a.shape[1], f]),
          ];
        },
      };
    });
    return op(values, x) as tf.Tensor2D;
  }
  const fixed = values ?? a.values;
  if (fixed && fixed.length !== a.nnz) {
    throw new ShapeError(`values must have ${a.nnz} entries, got ${fixed.length}`, {
      where: 'spmm',
    });
  }
  const op = customOp(([d], save) => {
    save([]);
    const out = forward(a, fixed, 1, d.dataSync() as Float32Array, f);
    return {
      value: tf.tensor2d(out, [a.shape[0], f]),
      gradFunc: (dy: tf.Tensor) => [
        tf.tensor2d(gradDense(a, fixed, 1, dy.dataSync() as Float32Array, f), [a.shape[1], f]),
      ],
    };
  });
  return op(x) as tf.Tensor2D;
}

/**
 * `tf.customGrad` with the inputs as an array: tfjs passes the save function
 * after the tensors.
 */
export function customOp(
  f: (
    inputs: tf.Tensor[],
    save: tf.GradSaveFunc,
  ) => {
    value: tf.Tensor;
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
  },
): (...inputs: tf.Tensor[]) => tf.Tensor {
  const g = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    return f(args as tf.Tensor[], save);
  });
  return (...inputs: tf.Tensor[]) => g(...inputs);
}

function forward(
  a: SparseMatrix,
  v: Float32Array | undefined,
  heads: number,
  x: Float32Array,
  f: number,
): Float32Array {
  const { ptr, perm } = a.csr();
  const c = f / heads;
  const out = new Float32Array(a.shape[0] * f);
  for (let r = 0; r < a.shape[0]; r++) {
    const o = r * f;
    for (let p = ptr[r]; p < ptr[r + 1]; p++) {
      const e = perm[p];
      const xo = a.cols[e] * f;
      if (heads === 1) {
        const w = v ? v[e] : 1;
        for (let k = 0; k < f; k++) out[o + k] += w * x[xo + k];
      } else {
        for (let h = 0; h < heads; h++) {
          const w = v ? v[e * heads + h] : 1;
          const base = h * c;
          for (let k = base; k < base + c; k++) out[o + k] += w * x[xo + k];
        }
      }
    }
  }
  return out;
}

/** dX = Aᵀ · dY, walking the columns. */
function gradDense(
  a: SparseMatrix,
  v: Float32Array | undefined,
  heads: number,
  dy: Float32Array,
  f: number,
): Float32Array {
  const { ptr, perm } = a.csc();
  const c = f / heads;
  const out = new Float32Array(a.shape[1] * f);
  for (let col = 0; col < a.shape[1]; col++) {
    const o = col * f;
    for (let p = ptr[col]; p < ptr[col + 1]; p++) {
      const e = perm[p];
      const yo = a.rows[e] * f;
      for (let h = 0; h < heads; h++) {
        const w = v ? v[e * heads + h] : 1;
        for (let k = h * c; k < (h + 1) * c; k++) out[o + k] += w * dy[yo + k];
      }
    }
  }
  return out;
}

/** dV[e, h] = ⟨dY[row_e, head h], X[col_e, head h]⟩. */
function gradValues(
  a: SparseMatrix,
  heads: number,
  dy: Float32Array,
  x: Float32Array,
  f: number,
): Float32Array {
  const c = f / heads;
  const out = new Float32Array(a.nnz * heads);
  for (let e = 0; e < a.nnz; e++) {
    const yo = a.rows[e] * f;
    const xo = a.cols[e] * f;
    for (let h = 0; h < heads; h++) {
      let s = 0;
      for (let k = h * c; k < (h + 1) * c; k++) s += dy[yo + k] * x[xo + k];
      out[e * heads + h] = s;
    }
  }
  return out;
}
