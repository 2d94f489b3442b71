// A real pretrained model: llama2.c's stories260K (a 260K-parameter Llama
// trained on TinyStories, bundled by @kd/data), greedy and sampled.
import { initBackend } from '@kd/core';
import { loadStories260K, loadStories260KTokenizer } from '@kd/data';
import { generate, llama2cSampler, loadLlama2c } from '@kd/nn';

await initBackend({ backend: 'wasm', threads: 1 });
const files = await loadStories260K();
const tokenizer = await loadStories260KTokenizer();
const model = loadLlama2c(files.legacy); // a LlamaForCausalLM with Hugging Face names, in eval mode

const greedy = await generate(model, [1], { maxNewTokens: 30 }); // 1 = BOS
export const greedyText = tokenizer.decode(greedy.sequences[0]);
console.log(greedyText); // Once upon a time, there was a little girl named Lily. …

// Hugging Face-style sampling (temperature → top-k → top-p), seeded …
const prompt = tokenizer.encode('There was a big').ids;
const sampled = await generate(model, prompt, {
  maxNewTokens: 20,
  temperature: 0.8,
  topP: 0.95,
  seed: 7,
});
// … or llama2.c's own sampler, which reproduces `run stories260K.bin -t 1 -p 0.95 -s 42`.
const exact = await generate(model, prompt, {
  maxNewTokens: 20,
  sampler: llama2cSampler({ temperature: 1, topp: 0.95, seed: 42 }),
});
export const sampledText = tokenizer.decode(sampled.sequences[0]);
console.log(sampledText);
console.log(tokenizer.decode(exact.sequences[0]));
console.log(model.namedParameters()[0][0]); // model.embed_tokens.weight
model.dispose();
