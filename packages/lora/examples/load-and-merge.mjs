// Load a PEFT adapter onto its base model, check it, merge it for free
// inference, and get a plain model back with its original parameter names.
import { initBackend } from '@kd/core';
import { loadAdapter } from '@kd/lora';
import { BertForSequenceClassification, saveHF } from '@kd/nn';
import * as tf from '@tensorflow/tfjs-core';
import { files } from './train-and-save.mjs';

await initBackend({ backend: 'cpu' });

const base = new BertForSequenceClassification(
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
base.eval();
// Unknown config keys are kept with a warning; a missing module, a shape or
// rank mismatch, or a missing classifier head is an error naming the module.
const { lora, report } = loadAdapter(base, {
  config: files['adapter_config.json'],
  weights: files['adapter_model.safetensors'],
});
console.log(
  `adapted ${report.modules.length} modules, restored ${report.modulesToSave.join(', ')}`,
);

const inputs = { inputIds: [[2, 17, 31, 3]] };
const logits = (model) => tf.tidy(() => Array.from(model.forward(inputs).logits.dataSync()));
export const unmerged = logits(base);
const merged = lora.mergeAndUnload(); // W ← W + (α/r)·B·A; adapter layers removed
export const mergedLogits = logits(merged);
console.log(unmerged, mergedLogits);

// A Hugging Face model directory that loads without PEFT (`kd lora merge` does this from files).
export const hf = saveHF(merged).files;
console.log(Object.keys(hf));

// Release the weights: tfjs does not garbage-collect tensors.
merged.dispose();
