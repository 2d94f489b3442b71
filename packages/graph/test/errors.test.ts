import { FormatError, initBackend, type KdError, Rng, ShapeError, ValidationError } from '@kd/core';
import { parseTriples } from '@kd/data';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkTriples,
  EdgeIndex,
  GATConv,
  GCNConv,
  RGCNConv,
  SparseMatrix,
  segmentSum,
  spmm,
  triplesFrom,
} from '../src/index.js';

/** Runs `fn`, expecting a KdError subclass whose message matches every pattern. */
function expectKdError(
  fn: () => unknown,
  type: abstract new (...args: never[]) => KdError,
  ...patterns: RegExp[]
): KdError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected an error').toBeInstanceOf(type);
  for (const p of patterns) expect((caught as Error).message).toMatch(p);
  return caught as KdError;
}

describe('bad input gets a clear, typed error', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  it('edge index out of range names the edge, the row and the node count', () => {
    const e = expectKdError(
      () =>
        EdgeIndex.from(
          [
            [0, 1, 2],
            [1, 2, 7],
          ],
          5,
        ),
      ValidationError,
      /target index 7 of edge 2 is out of range for 5 nodes/,
    );
    expect(e.where).toBe('edgeIndex[1][2]');
    expectKdError(
      () =>
        EdgeIndex.from(
          [
            [0, -1],
            [1, 2],
          ],
          5,
        ),
      ValidationError,
      /source index -1 of edge 1/,
    );
    expectKdError(
      () =>
        EdgeIndex.from(
          [
            [0, 1.5],
            [1, 2],
          ],
          5,
        ),
      ValidationError,
      /integers; entry 1 is 1.5/,
    );
    expectKdError(() => EdgeIndex.from([[0, 1], [1]], 5), ShapeError, /2 sources, 1 targets/);
    expectKdError(
      () => EdgeIndex.from(tf.tensor2d([[0, 1, 2]]), 5),
      ShapeError,
      /expected shape \[2, E\], got \[1, 3\]/,
    );
  });

  it('a layer given edges beyond its node features says so before computing', () => {
    const gcn = new GCNConv({ inChannels: 2, outChannels: 2 }, new Rng(0));
    const gat = new GATConv({ inChannels: 2, outChannels: 2 }, new Rng(0));
    const x = tf.zeros([3, 2]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    expectKdError(
      () =>
        gcn.forward(x, [
          [0, 3],
          [1, 2],
        ]),
      ValidationError,
      /source index 3 of edge 1 .* 3 nodes/,
    );
    const e = expectKdError(
      () =>
        gat.forward(x, [
          [0, 1],
          [1, 9],
        ]),
      ValidationError,
      /target index 9/,
    );
    expect(e.where).toBe('GATConv.edgeIndex[1][1]');
    expect(tf.memory().numTensors).toBe(before);
    gcn.dispose();
    gat.dispose();
    x.dispose();
  });

  it('a relation id beyond the relation count names the edge and the count', () => {
    const conv = new RGCNConv({ inChannels: 2, outChannels: 2, numRelations: 3 }, new Rng(0));
    const x = tf.zeros([4, 2]) as tf.Tensor2D;
    const e = expectKdError(
      () =>
        conv.forward(
          x,
          [
            [0, 1, 2],
            [1, 2, 3],
          ],
          [0, 2, 3],
        ),
      ValidationError,
      /relation id 3 of edge 2 is out of range: expected an integer 0 ≤ id < numRelations \(3\)/,
    );
    expect(e.where).toBe('RGCNConv.edgeType[2]');
    expectKdError(
      () => conv.forward(x, [[0], [1]], [0, 1]),
      ValidationError,
      /2 edge types for 1 edges/,
    );
    conv.dispose();
    x.dispose();
  });

  it('triples with an unknown relation or entity id name the split and row', () => {
    const t = triplesFrom([
      [0, 0, 1],
      [1, 4, 2],
    ]);
    const e = expectKdError(
      () => checkTriples(t, 3, 4, 'umls.train'),
      ValidationError,
      /relation id 4 is out of range: expected 0 ≤ id < 4 relations/,
    );
    expect(e.where).toBe('umls.train[1]');
    expectKdError(
      () => checkTriples(t, 2, 5, 'kg.test'),
      ValidationError,
      /tail entity id 2 is out of range \(2 entities\)/,
    );
  });

  it('a malformed triple line is a FormatError naming file and line (via @kd/data)', () => {
    const text = 'a\tr\tb\nc\tr\n';
    const e = expectKdError(
      () => parseTriples(text, { file: 'umls/train.txt' }),
      FormatError,
      /3 non-empty tab-separated fields/,
    );
    expect(e.where).toBe('umls/train.txt:2');
  });

  it('shape and range errors in the sparse and segment kernels', () => {
    const a = new SparseMatrix(Int32Array.from([0, 1]), Int32Array.from([1, 0]), [2, 2]);
    expectKdError(
      () => spmm(a, undefined, tf.zeros([3, 2]) as tf.Tensor2D),
      ShapeError,
      /dense operand must be \[2, F\]/,
    );
    expectKdError(
      () => spmm(a, tf.ones([3]), tf.zeros([2, 2]) as tf.Tensor2D),
      ShapeError,
      /values must be \[2\] or \[2, H\]/,
    );
    expectKdError(
      () => new SparseMatrix(Int32Array.from([0, 2]), Int32Array.from([0, 0]), [2, 2]),
      ValidationError,
      /entry 1 at \(2, 0\) is outside the 2×2 matrix/,
    );
    expectKdError(
      () => segmentSum(tf.ones([2, 1]), [0, 5], 3),
      ValidationError,
      /segment id 5 at position 1 is outside \[0, 3\)/,
    );
  });
});
