// A quarter-size Llama learns from the real stories260K teacher: hard labels,
// output KD, hidden-state MSE through learned projections (32 → 64) and
// attention KL, with checkpoints and an exact resume.
import { initBackend, MemoryCheckpointStore, registry } from '@kd/core';
import { loadStories260K } from '@kd/data';
import { Distiller, plugin } from '@kd/losses';
import { generate, LlamaForCausalLM, loadLlama2c } from '@kd/nn';
import { createOptimizer, plugin as optim } from '@kd/optim';

await initBackend({ backend: 'cpu' });
registry.register(plugin); // loss:<id> entries
registry.register(optim); // the schedules the optimizer names

const teacher = loadLlama2c((await loadStories260K()).legacy);
teacher.freeze(); // a teacher with trainable parameters is an error

// A tiny transfer set: 8 stories the teacher samples from BOS (token 1).
const { sequences } = await generate(teacher, Array(8).fill([1]), {
  maxNewTokens: 23,
  temperature: 1,
  seed: 0,
});

const student = new LlamaForCausalLM(
  {
    vocabSize: 512,
    hiddenSize: 32,
    intermediateSize: 86,
    numHiddenLayers: 2,
    numAttentionHeads: 4,
    maxPositionEmbeddings: 512,
    tieWordEmbeddings: true,
  },
  { seed: 1 },
);
const distiller = new Distiller({
  teacher,
  student,
  optimizer: createOptimizer('adamw', { lr: 1e-2 }),
  terms: [
    { loss: 'lm-ce' },
    { loss: { id: 'logit-kd', options: { temperature: 1 } }, weight: 1 },
    { loss: 'hidden-mse', weight: 0.1, layers: 'uniform' }, // 2 → 5 layers: 0↔0, 1↔3, 2↔5
    { loss: 'attention-kl', weight: { value: 0.3, schedule: 'linear-decay' } },
  ],
});
console.log(distiller.terms.map((t) => `${t.name}: ${JSON.stringify(t.pairs)}`).join('\n'));

const data = (step) => {
  const rows = [0, 1, 2, 3].map((i) => (step * 4 + i) % 8);
  return { inputs: { inputIds: rows.map((r) => sequences[r]) }, indices: rows };
};
const checkpoints = new MemoryCheckpointStore();
const result = await distiller.train({ data, steps: 6, checkpoints, checkpointEvery: 3 });
export const first = result.history[0];
export const last = result.history.at(-1);
console.log('step 0', first.terms, '\nstep 5', last.terms);
