// Perplexity of any causal LM given as a function ids → logits: here the
// bundled stories260K Llama, scored the way HF `evaluate`'s perplexity does.
import { initBackend } from '@kd/core';
import { loadStories260K, loadStories260KTokenizer } from '@kd/data';
import { perplexityFromModel } from '@kd/eval';
import { loadLlama2c } from '@kd/nn';
import * as tf from '@tensorflow/tfjs-core';

await initBackend({ backend: 'wasm' });
const model = loadLlama2c((await loadStories260K()).legacy);
const tokenizer = await loadStories260KTokenizer();

const texts = [
  'Once upon a time, there was a little girl named Lily.',
  'She liked to play outside with her friends.',
  'The purple elephant negotiated a mortgage with the moon.',
];
// llama2.c's encode adds BOS itself; perplexityFromModel adds it back as the first input.
const ids = texts.map((t) => tokenizer.encodeIds(t).slice(1));
// The logits tensor is handed over (perplexityFromModel disposes it); tidy frees the rest.
const lm = (batch: number[][]) => tf.tidy(() => model.forward({ inputIds: batch }).logits);
const result = await perplexityFromModel(lm, ids, { bos_token_id: 1 });
export const perplexities = result.perplexities;
console.log(perplexities.map((p) => p.toFixed(1)).join(', '));
console.log(
  `mean ${result.mean_perplexity.toFixed(1)}, corpus ${result.corpus_perplexity.toFixed(1)}`,
);
model.dispose();
