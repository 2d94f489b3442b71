// Tokenise with the bundled BERT, GPT-2 and llama2.c vocabularies.
import { loadBertUncasedTokenizer, loadGpt2Tokenizer, loadStories260KTokenizer } from '@kd/data';

const bert = await loadBertUncasedTokenizer();
const pair = bert.encode('The cat sat on the mat.', {
  pair: 'A cat is sitting.',
  maxLength: 12,
  truncation: 'longest_first',
  padding: 'max_length',
});
console.log(pair.tokens); // ['[CLS]', 'the', 'cat', …, '[SEP]', 'a', 'cat', …, '[SEP]', '[PAD]', …]
console.log(pair.tokenTypeIds, pair.attentionMask);

const gpt2 = await loadGpt2Tokenizer();
console.log(gpt2.encodeIds('Hello world')); // [15496, 995]

const llama = await loadStories260KTokenizer();
const ids = llama.encodeIds('Once upon a time'); // [1, 403, 407, 261, 378]
console.log(ids, JSON.stringify(llama.decode(ids))); // "Once upon a time"

export { bert, gpt2, llama };
