import { describe, expect, it } from 'vitest';
import { principalBasis, symmetricEigen } from '../src/tasks/encoder/pca-init.js';
import { seeded } from './reference.js';

describe('student embedding initialisation from the teacher', () => {
  it('symmetricEigen: A v = λ v, orthonormal vectors, eigenvalues descending', () => {
    const n = 6;
    const r = seeded(n * n, 21);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) a[i * n + j] = r[i * n + j] + r[j * n + i];
    const { values, vectors } = symmetricEigen(a, n);
    for (let k = 1; k < n; k++) expect(values[k]).toBeLessThanOrEqual(values[k - 1]);
    for (let k = 0; k < n; k++) {
      for (let i = 0; i < n; i++) {
        let av = 0;
        for (let j = 0; j < n; j++) av += a[i * n + j] * vectors[j * n + k];
        expect(av).toBeCloseTo(values[k] * vectors[i * n + k], 9);
      }
      for (let l = 0; l < n; l++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += vectors[i * n + k] * vectors[i * n + l];
        expect(dot).toBeCloseTo(k === l ? 1 : 0, 9);
      }
    }
  });

  it('principalBasis finds the direction of largest variance', () => {
    // Points spread along (1, 2, 0)/√5 with small noise in the other directions.
    const rows = 200;
    const noise = seeded(rows * 3, 22, 0.01);
    const t = seeded(rows, 23, 3);
    const data = new Float32Array(rows * 3);
    for (let r = 0; r < rows; r++) {
      data[r * 3] = 5 + t[r] / Math.sqrt(5) + noise[r * 3];
      data[r * 3 + 1] = -1 + (2 * t[r]) / Math.sqrt(5) + noise[r * 3 + 1];
      data[r * 3 + 2] = 2 + noise[r * 3 + 2];
    }
    const { basis, mean } = principalBasis(data, rows, 3, 1);
    const sign = Math.sign(basis[0]);
    expect(sign * basis[0]).toBeCloseTo(1 / Math.sqrt(5), 3);
    expect(sign * basis[1]).toBeCloseTo(2 / Math.sqrt(5), 3);
    expect(basis[2]).toBeCloseTo(0, 3);
    expect(mean[2]).toBeCloseTo(2, 2);
  });
});
