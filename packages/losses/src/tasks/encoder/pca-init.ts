import type { BertForSequenceClassification } from '@kd/nn';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Eigen-decomposition of a symmetric n × n matrix (row-major, float64) by
 * cyclic Jacobi rotations; returns eigenvalues (descending) and the
 * matching eigenvectors as columns of `vectors` (row-major n × n).
 */
export function symmetricEigen(
  a: Float64Array,
  n: number,
): { values: number[]; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q] ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p];
          const mkq = m[k * n + q];
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k];
          const mqk = m[q * n + k];
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => m[y * n + y] - m[x * n + x]);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    for (let k = 0; k < n; k++) vectors[k * n + dst] = v[k * n + src];
  });
  return { values: order.map((i) => m[i * n + i]), vectors };
}

/**
 * The top-k principal directions of a `rows × cols` table (its rows
 * centred): a `cols × k` basis and the column means.
 */
export function principalBasis(
  data: Float32Array,
  rows: number,
  cols: number,
  k: number,
): { basis: Float64Array; mean: Float64Array } {
  const mean = new Float64Array(cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) mean[c] += data[r * cols + c] / rows;
  const cov = new Float64Array(cols * cols);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < cols; i++) {
      const xi = data[r * cols + i] - mean[i];
      for (let j = i; j < cols; j++)
        cov[i * cols + j] += (xi * (data[r * cols + j] - mean[j])) / rows;
    }
  }
  for (let i = 0; i < cols; i++) for (let j = 0; j < i; j++) cov[i * cols + j] = cov[j * cols + i];
  const { vectors } = symmetricEigen(cov, cols);
  const basis = new Float64Array(cols * k);
  for (let i = 0; i < cols; i++)
    for (let j = 0; j < k; j++) basis[i * k + j] = vectors[i * cols + j];
  return { basis, mean };
}

/**
 * Initialises the student's embedding tables (word, position, token type)
 * from the teacher's, projected on the teacher word embeddings' top
 * principal directions — as DistilBERT initialises its student from teacher
 * layers, for a student too narrow to copy them. The rest of the student
 * keeps its random initialisation. Same for every arm of an experiment.
 */
export function initStudentEmbeddingsFromTeacher(
  student: BertForSequenceClassification,
  teacher: BertForSequenceClassification,
): void {
  const names = [
    'bert.embeddings.word_embeddings.weight',
    'bert.embeddings.position_embeddings.weight',
    'bert.embeddings.token_type_embeddings.weight',
  ];
  const tw = teacher.getParameter(names[0]);
  const [v, d] = tw.shape as [number, number];
  const k = student.getParameter(names[0]).shape[1] as number;
  const { basis, mean } = principalBasis(tw.dataSync() as Float32Array, v, d, k);
  for (const name of names) {
    const t = teacher.getParameter(name);
    const s = student.getParameter(name);
    const [rows] = t.shape as [number, number];
    if (s.shape[0] !== rows) continue;
    const src = t.dataSync() as Float32Array;
    const out = new Float32Array(rows * k);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < k; j++) {
        let acc = 0;
        for (let i = 0; i < d; i++)
          acc += (src[r * d + i] - (name === names[0] ? mean[i] : 0)) * basis[i * k + j];
        out[r * k + j] = acc;
      }
    }
    tf.tidy(() => s.assign(tf.tensor2d(out, [rows, k])));
  }
}
