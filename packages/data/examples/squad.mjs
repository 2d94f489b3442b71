// SQuAD v1.1 examples to BERT windows with answer token positions.
import { loadBertUncasedTokenizer, loadSquad, squadFeatures } from '@kd/data';

const squad = await loadSquad(); // 6 bundled dev articles, 2,145 questions
const tokenizer = await loadBertUncasedTokenizer();
const features = squadFeatures(squad.examples.slice(0, 50), tokenizer, {
  maxLength: 256,
  docStride: 64,
});
const f = features[0];
const [a] = f.offsets[f.startPosition];
const [, b] = f.offsets[f.endPosition];
const ex = squad.examples[f.exampleIndex];
console.log(ex.question, '→', ex.context.slice(a, b)); // … → Denver Broncos

export { features };
