// Hugging Face layout in and out: config.json + model.safetensors, base
// checkpoints into head models, names and freezing by glob.
import { initBackend } from '@kd/core';
import { type BertForSequenceClassification, BertModel, loadHF, saveHF } from '@kd/nn';

await initBackend({ backend: 'cpu' });

const base = new BertModel(
  {
    vocabSize: 100,
    hiddenSize: 16,
    numHiddenLayers: 2,
    numAttentionHeads: 2,
    intermediateSize: 32,
  },
  { seed: 0 },
);
const { files } = saveHF(base); // { 'config.json': string, 'model.safetensors': Uint8Array }

// A base checkpoint into a head model: the new head keeps its seeded init and is reported.
const { model, report } = loadHF(
  { config: files['config.json'], weights: files['model.safetensors'] },
  { architecture: 'BertForSequenceClassification', config: { numLabels: 3 } },
);
console.log(report.architecture, report.initialized); // BertForSequenceClassification [ 'classifier.weight', 'classifier.bias' ]

const classifier = model as BertForSequenceClassification;
console.log(classifier.namedParameters()[0][0]); // bert.embeddings.word_embeddings.weight

// Freeze the encoder, train the last layer, the LayerNorms and the head.
classifier.freeze('bert');
classifier.unfreeze(['bert.encoder.layer.1.**', /LayerNorm/]);
export const trainable = classifier.trainableParameterCount();
export const total = classifier.parameterCount();
console.log(`${trainable} of ${total} parameters train`);
base.dispose();
classifier.dispose();
