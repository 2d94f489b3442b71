// Every metric is a pure function, a streaming accumulator that keeps only
// sufficient statistics, and a registry entry: three views of one definition.
import { Registry } from '@kd/core';
import { corpusBleu, metrics, plugin } from '@kd/eval';

const predictions = ['the cat sat on the mat', 'a dog barked', 'it rained all day'];
const references = [['the cat is on the mat'], ['the dog barked'], ['it rained the whole day']];

// One-shot.
const oneShot = corpusBleu(predictions, references, { tokenize: 'intl' }).score;

// Streaming: examples one at a time (BLEU keeps 2 + 2·4 numbers however many are added).
const acc = metrics.sacrebleu.create({ tokenize: 'intl' }).accumulator();
for (const [i, prediction] of predictions.entries())
  acc.add({ prediction, reference: references[i] });
const streamed = acc.compute().score;

// The registry entry, as recipes and `kd metric sacrebleu` use it.
const registry = Registry.isolated();
registry.register(plugin);
const fromRegistry = registry
  .create<{ compute(b: unknown): { score: number } }>('metric', 'sacrebleu', { tokenize: 'intl' })
  .compute({ predictions, references });

export const scores = [oneShot, streamed, fromRegistry.score];
console.log(scores.map((s) => s.toFixed(4)).join(' = '));
