// kd from code: tokenise real SST-2 sentences, train a tiny BERT classifier
// with AdamW on the WASM backend, and score it with scikit-learn's accuracy.
import { plugin as wasmKernels } from '@kd/backend-wasm';
import { initBackend, registry } from '@kd/core';
import { loadBertUncasedTokenizer, loadGlue } from '@kd/data';
import { accuracyScore } from '@kd/eval';
import { BertForSequenceClassification } from '@kd/nn';
import { createOptimizer } from '@kd/optim';
import * as tf from '@tensorflow/tfjs-core';

// Packages register nothing on import: register the fast WASM kernels, then
// start the backend (it installs every registered kernel provider).
registry.register(wasmKernels);
const info = await initBackend({ backend: 'wasm', threads: 1 });
console.log(`backend ${info.backend}, SIMD ${info.simd}, ${info.kernels.length} kd kernels`);

// 64 real sentences from the bundled SST-2 sample, with the bert-base-uncased vocabulary.
const { examples } = await loadGlue('sst2', 'train');
const batch = examples.slice(0, 64);
const tokenizer = await loadBertUncasedTokenizer();
const enc = tokenizer.encodeBatch(
  batch.map((e) => e.text),
  { maxLength: 32, truncation: 'longest_first', padding: 'longest' },
);
const shape: [number, number] = [enc.batchSize, enc.seqLen];
const inputIds = tf.tensor2d(enc.inputIds, shape, 'int32');
const attentionMask = tf.tensor2d(enc.attentionMask, shape, 'int32');
const labels = batch.map((e) => Number(e.label));
const targets = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), 2));

// A two-layer BERT with Hugging Face parameter names, seeded.
const model = new BertForSequenceClassification(
  {
    vocabSize: tokenizer.vocabSize,
    hiddenSize: 32,
    numHiddenLayers: 2,
    numAttentionHeads: 2,
    intermediateSize: 64,
    numLabels: 2,
  },
  { seed: 0 },
);
const optimizer = createOptimizer('adamw', { lr: 3e-3, weightDecay: 0.01, noDecay: ['bias'] });
const params = model.trainableParameters(); // { 'bert.embeddings.word_embeddings.weight': tf.Variable, … }

const losses: number[] = [];
for (let step = 0; step < 30; step++) {
  const loss = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() =>
      tf.losses.softmaxCrossEntropy(targets, model.forward({ inputIds, attentionMask }).logits),
    );
    // variableGrads keys by tf variable name; the optimizer wants parameter names.
    optimizer.step(
      params,
      Object.fromEntries(Object.entries(params).map(([name, v]) => [name, grads[v.name]])),
    );
    return value.dataSync()[0];
  });
  losses.push(loss);
}

model.eval(); // dropout off
const predicted = tf.tidy(() =>
  Array.from(model.forward({ inputIds, attentionMask }).logits.argMax(-1).dataSync()),
);
export const trainAccuracy = accuracyScore(labels, predicted);
export const firstLoss = losses[0];
export const lastLoss = losses.at(-1) as number;
console.log(
  `loss ${firstLoss.toFixed(3)} → ${lastLoss.toFixed(3)}, train accuracy ${trainAccuracy}`,
);

tf.dispose([inputIds, attentionMask, targets]);
optimizer.dispose();
model.dispose();
