import { defineEntry, definePlugin } from '@kd/core';
import type { Module } from '@kd/nn';
import { z } from 'zod';
import { type LoraConfig, LoraConfigSchema, loraConfig } from './config.js';
import { type LoraPlusGroup, loraPlusGroups } from './loraplus.js';
import { type AddAdapterOptions, LoraModel } from './model.js';
import { VERSION } from './version.js';

/** What an `adapter:<id>` entry creates: a config and how to put it on a model. */
export interface AdapterFactory {
  id: string;
  config: LoraConfig;
  /** LoRA+ ratio η_B/η_A when the entry is `loraplus` (or set explicitly). */
  loraplusLrRatio: number | undefined;
  /** Wraps `model` with this adapter (`LoraModel.wrap`). */
  apply(model: Module, options?: AddAdapterOptions & { adapterName?: string }): LoraModel;
  /** @kd/optim parameter groups: LoRA+ groups when a ratio is set, else none. */
  optimizerGroups(lora: LoraModel): LoraPlusGroup[];
}

const withRatio = LoraConfigSchema.extend({
  /** LoRA+: learning-rate ratio of B (and 1-D parameters) over A. Not saved in adapter files. */
  loraplusLrRatio: z.number().positive().optional(),
});

function factory(id: string, input: z.output<typeof withRatio>): AdapterFactory {
  const { loraplusLrRatio, ...rest } = input;
  const config = loraConfig(rest, `adapter:${id}`);
  return {
    id,
    config,
    loraplusLrRatio,
    apply: (model, options) => LoraModel.wrap(model, config, options),
    optimizerGroups: (lora) =>
      loraplusLrRatio === undefined ? [] : loraPlusGroups(lora, { ratio: loraplusLrRatio }),
  };
}

const variants: {
  id: string;
  description: string;
  defaults: Partial<z.input<typeof withRatio>>;
}[] = [
  {
    id: 'lora',
    description: 'LoRA (Hu et al. 2021): W + (α/r)·B·A, A Kaiming-uniform, B zero',
    defaults: {},
  },
  {
    id: 'rslora',
    description: 'rank-stabilised LoRA: scaling α/√r',
    defaults: { useRslora: true },
  },
  {
    id: 'dora',
    description: 'DoRA: per-row magnitude × normalised (W + sBA), norm detached',
    defaults: { useDora: true },
  },
  {
    id: 'loraplus',
    description: 'LoRA+: B (and 1-D parameters) at 16× the learning rate of A',
    defaults: { loraplusLrRatio: 16 },
  },
  {
    id: 'pissa',
    description: 'PiSSA: A, B from the top-r singular triplets of W; the base keeps the residual',
    defaults: { initLoraWeights: 'pissa' },
  },
  {
    id: 'olora',
    description: 'OLoRA: A, B from the QR decomposition of W',
    defaults: { initLoraWeights: 'olora' },
  },
];

/** `adapter:lora`, `adapter:rslora`, `adapter:dora`, `adapter:loraplus`, `adapter:pissa`, `adapter:olora`. */
export const adapterEntries = variants.map((v) =>
  defineEntry({
    kind: 'adapter',
    id: v.id,
    description: v.description,
    // Each variant is LoRA with its own defaults; every PEFT field can still be set.
    options: z.preprocess(
      (o) => ({ ...v.defaults, ...((o as object | undefined) ?? {}) }),
      withRatio,
    ) as unknown as typeof withRatio,
    create: (o): AdapterFactory => factory(v.id, o),
  }),
);

/** Everything @kd/lora provides to the registry: `registry.register(plugin)`. */
export const plugin = definePlugin({
  meta: { name: '@kd/lora', version: VERSION, apiVersion: '1.0.0' },
  provides: adapterEntries,
});
