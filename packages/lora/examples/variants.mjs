// DoRA with LoRA+ learning rates, two adapters on one model, switching and
// a weighted combination.
import { initBackend } from '@kd/core';
import { addWeightedAdapter, LoraModel, loraPlusGroups } from '@kd/lora';
import { LlamaForCausalLM } from '@kd/nn';
import { createOptimizer } from '@kd/optim';

await initBackend({ backend: 'cpu' });

const model = new LlamaForCausalLM(
  {
    vocabSize: 64,
    hiddenSize: 32,
    intermediateSize: 64,
    numHiddenLayers: 2,
    numAttentionHeads: 4,
    maxPositionEmbeddings: 32,
  },
  { seed: 0 },
);
// all-linear: every Linear but lm_head, as PEFT selects them.
const lora = LoraModel.wrap(
  model,
  { r: 4, loraAlpha: 8, targetModules: 'all-linear', useDora: true },
  { adapterName: 'dora' },
);
// LoRA+: B matrices and 1-D parameters (DoRA magnitudes) at 16× the learning rate.
export const groups = loraPlusGroups(lora, { ratio: 16 });
const optimizer = createOptimizer('adamw', { lr: 2e-4, groups });
console.log(`${groups[0].params.length} parameters at 16× lr`);

// More adapters on the same model: rsLoRA (α/√r) on the attention projections, plain LoRA on the MLP.
lora.addAdapter('attn', {
  r: 4,
  loraAlpha: 8,
  useRslora: true,
  targetModules: ['q_proj', 'v_proj'],
  initLoraWeights: false,
});
lora.addAdapter('mlp', { r: 4, loraAlpha: 8, targetModules: ['up_proj'], initLoraWeights: false });
lora.setAdapter('attn'); // only its parameters are trainable now
export const trainable = Object.keys(lora.trainableParameters()).length;

// Σ wᵢ·sᵢ·BᵢAᵢ exactly, as PEFT's combination_type="cat" (rank 8 = 4 + 4).
addWeightedAdapter(lora, ['attn', 'mlp'], [0.5, 0.5], 'mix', 'cat');
lora.setAdapter('mix');
export const adapters = lora.adapters;
console.log(adapters, lora.activeAdapters, optimizer.constructor.name);

// tfjs does not garbage-collect tensors: release the model (all four adapters) and the optimiser.
optimizer.dispose();
lora.dispose();
