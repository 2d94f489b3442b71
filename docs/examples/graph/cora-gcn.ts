// Kipf & Welling's GCN on Cora (bundled, public Planetoid split), full-batch,
// reporting test accuracy at the epoch of best validation accuracy.
import { initBackend, Rng } from '@kd/core';
import { loadPlanetoid } from '@kd/data';
import { GCN, planetoidData, trainNodeClassifier } from '@kd/graph';

await initBackend({ backend: 'wasm', threads: 1 });
const cora = planetoidData(await loadPlanetoid('cora')); // sparse row-normalised features, two-way edges
const model = new GCN(
  { inChannels: cora.x.shape[1], hiddenChannels: 16, outChannels: cora.numClasses },
  new Rng(0),
);
const result = trainNodeClassifier(model, cora, {
  epochs: 60,
  // The paper's setting: Adam, lr 0.01, L2 5e-4 on the first layer only (torch weight_decay semantics).
  optimizer: { name: 'adam', lr: 0.01, weightDecay: 5e-4, decay: ['conv1.'] },
});
export const best = result.best;
console.log(`best validation epoch ${best.epoch}: test accuracy ${best.testAcc.toFixed(3)}`);
console.log(model.namedParameters().map(([name]) => name)); // PyG's names: conv1.lin.weight, conv1.bias, …
model.dispose();
