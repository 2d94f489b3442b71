// A 4-layer BERT teacher into a 2-layer, half-width student: logit KD,
// hidden-state MSE through a learned projection (TinyBERT's layer map) and
// the hard labels, combined by one Distiller.
import { initBackend, registry } from '@kd/core';
import { Distiller, plugin as losses } from '@kd/losses';
import { BertForSequenceClassification } from '@kd/nn';
import { createOptimizer } from '@kd/optim';

await initBackend({ backend: 'cpu' });
registry.register(losses); // loss:* entries, looked up by id

const config = { vocabSize: 50, numAttentionHeads: 2, numLabels: 2 };
const teacher = new BertForSequenceClassification(
  { ...config, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 4 },
  { seed: 1 },
);
teacher.freeze(); // a teacher only runs forward
teacher.eval();
const student = new BertForSequenceClassification(
  { ...config, hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 2 },
  { seed: 2 },
);

const optimizer = createOptimizer('adamw', { lr: 1e-2 });
const distiller = new Distiller({
  teacher,
  student,
  optimizer,
  terms: [
    { loss: { id: 'logit-kd', options: { temperature: 2 } }, weight: 1 },
    { loss: 'hidden-mse', layers: 'uniform', weight: 0.5 }, // 16 → 32 widths: a projection is learned
    { loss: 'ce', weight: 0.5 },
  ],
});

const inputIds = [
  [2, 17, 9, 3],
  [2, 44, 3, 0],
  [2, 8, 8, 3],
  [2, 30, 3, 0],
];
const attentionMask = inputIds.map((row) => row.map((id) => (id === 0 ? 0 : 1)));
const result = await distiller.train({
  steps: 15,
  data: () => ({ inputs: { inputIds, attentionMask }, labels: [1, 0, 1, 0] }),
});
const [first, last] = [result.history[0], result.history.at(-1)!];
console.log(Object.keys(first.terms)); // [ 'logit-kd', 'hidden-mse', 'ce' ]
console.log(`loss ${first.loss.toFixed(3)} → ${last.loss.toFixed(3)}`);
export const totals = { first: first.loss, last: last.loss };

distiller.dispose();
optimizer.dispose();
teacher.dispose();
student.dispose();
