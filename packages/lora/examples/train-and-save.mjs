// Wrap a BERT classifier with LoRA, train only the adapter (and the
// classifier head), and save the two files PEFT reads.
import { initBackend } from '@kd/core';
import { LoraModel, saveAdapter } from '@kd/lora';
import { BertForSequenceClassification } from '@kd/nn';
import { createOptimizer } from '@kd/optim';
import * as tf from '@tensorflow/tfjs-core';

await initBackend({ backend: 'cpu' });

const model = new BertForSequenceClassification(
  {
    vocabSize: 100,
    hiddenSize: 32,
    numHiddenLayers: 2,
    numAttentionHeads: 2,
    intermediateSize: 64,
    numLabels: 2,
  },
  { seed: 0 },
);
// PEFT's LoraConfig in camelCase; SEQ_CLS trains and saves the classifier in full.
const lora = LoraModel.wrap(model, {
  r: 8,
  loraAlpha: 16,
  loraDropout: 0.1,
  targetModules: ['query', 'value'],
  taskType: 'SEQ_CLS',
});
export const counts = lora.parameterCounts();
console.log(`trainable ${counts.trainable} of ${counts.total} (${counts.percent.toFixed(2)} %)`);

const params = lora.trainableParameters(); // `…query.lora_A.default.weight`, `classifier.weight`, …
const optimizer = createOptimizer('adamw', { lr: 1e-3 });
const inputIds = [
  [2, 17, 31, 3],
  [2, 44, 3, 0],
];
const attentionMask = [
  [1, 1, 1, 1],
  [1, 1, 1, 0],
];
model.train();
for (let step = 0; step < 20; step++) {
  // tidy frees the step's intermediates: tfjs does not garbage-collect tensors.
  tf.tidy(() => {
    const labels = tf.oneHot(tf.tensor1d([1, 0], 'int32'), 2);
    const { grads } = tf.variableGrads(
      () =>
        tf.losses.softmaxCrossEntropy(labels, model.forward({ inputIds, attentionMask }).logits),
      Object.values(params),
    );
    optimizer.step(
      params,
      Object.fromEntries(Object.entries(params).map(([n, p]) => [n, grads[p.name]])),
    );
  });
}

// adapter_config.json + adapter_model.safetensors, byte-compatible with PEFT.
// (In Node, `saveAdapterDirectory(lora, dir)` from '@kd/lora/node' writes them.)
export const files = saveAdapter(lora);
console.log(Object.keys(files), `${files['adapter_model.safetensors'].length} bytes`);

// Release the model (adapter included) and AdamW's moments.
optimizer.dispose();
lora.dispose();
