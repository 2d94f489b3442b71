import { initBackend } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, it } from 'vitest';
import { BertModel } from '../src/index.js';

let bert: BertModel;
beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
  bert = new BertModel(
    {
      vocabSize: 30,
      hiddenSize: 12,
      numHiddenLayers: 4,
      numAttentionHeads: 3,
      intermediateSize: 24,
      maxPositionEmbeddings: 16,
    },
    { seed: 7 },
  ).eval();
});
it('dbg', async () => {
  const inputIds = [
    [2, 5, 7, 9, 3],
    [2, 8, 4, 0, 0],
  ];
  const attentionMask = [
    [1, 1, 1, 1, 1],
    [1, 1, 1, 0, 0],
  ];
  for (let i = 0; i < 3; i++) {
    const n0 = tf.memory().numTensors;
    const p = await tf.profile(() =>
      tf.tidy(() => bert.forward({ inputIds, attentionMask }).lastHiddenState),
    );
    console.log('P', p.newTensors, tf.memory().numTensors - n0);
  }
});
