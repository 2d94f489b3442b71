// GLUE through the registry, pre-tokenised, batched with length buckets; resume mid-epoch.
import { Registry } from '@kd/core';
import { collate, DataLoader, encodeExamples, plugin } from '@kd/data';

const registry = Registry.isolated(); // or the global `registry` from @kd/core
registry.register(plugin);

const rte = registry.create('dataset', 'glue-rte'); // bundled; { path: '<GLUE RTE folder>' } for your copy
const tokenizer = await registry.create('tokenizer', 'wordpiece').load();
const { examples } = await rte.load('train');
const encoded = encodeExamples(examples, tokenizer, { maxLength: 128 });

const makeLoader = () =>
  new DataLoader(encoded, {
    batchSize: 32,
    seed: 42,
    lengthOf: (e) => e.ids.length, // bucket similar lengths: far less padding
    collate: (items, idx) => collate(items, idx, { padId: tokenizer.specialTokens.pad }),
  });

const loader = makeLoader();
const { batch } = loader.next();
console.log(rte.info.labelNames, batch.batchSize, batch.seqLen, batch.labels.slice(0, 4));
// tf.tensor2d(batch.inputIds, [batch.batchSize, batch.seqLen], 'int32') feeds a model.

const saved = JSON.stringify(loader.state()); // store beside the model checkpoint
const resumed = makeLoader().setState(JSON.parse(saved));
console.log(resumed.next().batch.indices.join() === loader.next().batch.indices.join()); // true

export { loader };
