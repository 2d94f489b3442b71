// A layer of your own, PyG style: message → aggregate → update. `ctx.j(t)`
// is x_j (rows at each edge's source), `ctx.i(t)` is x_i (at its target).
import { initBackend } from '@kd/core';
import { EdgeIndex, type MessageContext, MessagePassing } from '@kd/graph';
import * as tf from '@tensorflow/tfjs-core';

await initBackend({ backend: 'cpu' });

interface Inputs {
  x: tf.Tensor; // [nodes, features]
  w: tf.Tensor; // [edges]
}

/** x'_i = max over incoming edges j→i of w_ji · x_j. */
class WeightedMax extends MessagePassing<Inputs> {
  constructor() {
    super('max');
  }
  forward(x: tf.Tensor, edgeIndex: EdgeIndex, w: tf.Tensor): tf.Tensor {
    return this.propagate(edgeIndex, { x, w });
  }
  protected override message(ctx: MessageContext<Inputs>): tf.Tensor {
    return tf.mul(ctx.j(ctx.inputs.x), tf.expandDims(ctx.inputs.w, 1));
  }
}

// Edges are [sources, targets]: 0 → 2, 1 → 2, 2 → 0. Node 1 has no incoming edge.
const edges = EdgeIndex.from(
  [
    [0, 1, 2],
    [2, 2, 0],
  ],
  3,
);
export const out = tf.tidy(() => {
  const x = tf.tensor2d([
    [1, -1],
    [3, 2],
    [0.5, 4],
  ]);
  const w = tf.tensor1d([2, 1, 1]);
  return Array.from(new WeightedMax().forward(x, edges, w).dataSync());
});
console.log(out); // [ 0.5, 4, 0, 0, 3, 2 ]: node 1 aggregates nothing
