import { defineEntry, definePlugin } from '@kd/core';
import { z } from 'zod';
import { ARCHITECTURES, FAMILIES } from './models/architectures.js';
import { VERSION } from './version.js';

/** `BertForSequenceClassification` → `bert-for-sequence-classification`. */
export function architectureId(name: string): string {
  return name
    .replace(/GPT2/g, 'Gpt2')
    .replace(/DistilBert/g, 'Distilbert')
    .replace(/LM/g, 'Lm')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase();
}

const entries = Object.values(ARCHITECTURES).map((a) =>
  defineEntry({
    kind: 'model',
    id: architectureId(a.name),
    description: `Hugging Face ${a.name} (randomly initialised from a seed; load weights with loadHF)`,
    options: FAMILIES[a.modelType].schema.extend({ seed: z.number().int().default(0) }).strict(),
    create: ({ seed, ...config }) => a.create(config, { seed: seed as number }),
  }),
);

/** Everything @kd/nn provides to the registry: `registry.register(plugin)`. */
export const plugin = definePlugin({
  meta: { name: '@kd/nn', version: VERSION, apiVersion: '1.0.0' },
  provides: entries,
});
