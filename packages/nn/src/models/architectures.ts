import { didYouMean, NotFoundError, ValidationError } from '@kd/core';
import type { z } from 'zod';
import type { Module } from '../module.js';
import {
  BertConfigSchema,
  BertForMaskedLM,
  BertForQuestionAnswering,
  BertForSequenceClassification,
  BertForTokenClassification,
  BertModel,
} from './bert.js';
import type { ModelOptions } from './config.js';
import {
  DistilBertConfigSchema,
  DistilBertForMaskedLM,
  DistilBertForQuestionAnswering,
  DistilBertForSequenceClassification,
  DistilBertForTokenClassification,
  DistilBertModel,
} from './distilbert.js';
import { GPT2ConfigSchema, GPT2LMHeadModel, GPT2Model } from './gpt2.js';
import { LlamaConfigSchema, LlamaForCausalLM, LlamaModel } from './llama.js';

export type ModelType = 'bert' | 'distilbert' | 'gpt2' | 'llama';

/** How one Hugging Face architecture maps onto a class here. */
export interface Architecture {
  /** Hugging Face's class name (`config.json` `architectures[0]`). */
  name: string;
  modelType: ModelType;
  /** The base model's attribute in head models (`bert.`), '' for the base model itself. */
  prefix: string;
  /** Whether the head is a classifier whose config carries `id2label`. */
  labels: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: each family has its own config type.
  create(config: any, options?: ModelOptions): Module;
  /** The class, compared by identity to find a built model's architecture. */
  cls: abstract new (
    ...args: never[]
  ) => Module;
}

export interface ModelFamily {
  modelType: ModelType;
  schema: z.ZodObject;
  /** The base model's attribute name in head models. */
  basePrefix: string;
  /** The architecture a bare `model_type` config loads as. */
  defaultArchitecture: string;
  /**
   * Checkpoint keys Hugging Face itself skips (buffers older versions
   * saved, heads of pre-training objectives).
   */
  ignoreUnexpected: RegExp[];
}

export const FAMILIES: Record<ModelType, ModelFamily> = {
  bert: {
    modelType: 'bert',
    schema: BertConfigSchema,
    basePrefix: 'bert',
    defaultArchitecture: 'BertModel',
    ignoreUnexpected: [
      /(^|\.)embeddings\.position_ids$/,
      /^cls\.seq_relationship\./,
      // Models without a pooler (MLM, token, QA heads) skip it, as HF does.
      /^bert\.pooler\./,
    ],
  },
  distilbert: {
    modelType: 'distilbert',
    schema: DistilBertConfigSchema,
    basePrefix: 'distilbert',
    defaultArchitecture: 'DistilBertModel',
    ignoreUnexpected: [/(^|\.)embeddings\.position_ids$/],
  },
  gpt2: {
    modelType: 'gpt2',
    schema: GPT2ConfigSchema,
    basePrefix: 'transformer',
    defaultArchitecture: 'GPT2LMHeadModel',
    ignoreUnexpected: [/(^|\.)attn\.(masked_)?bias$/],
  },
  llama: {
    modelType: 'llama',
    schema: LlamaConfigSchema,
    basePrefix: 'model',
    defaultArchitecture: 'LlamaForCausalLM',
    ignoreUnexpected: [/(^|\.)rotary_emb\.inv_freq$/],
  },
};

function arch(
  name: string,
  modelType: ModelType,
  prefix: string,
  labels: boolean,
  // biome-ignore lint/suspicious/noExplicitAny: see Architecture.cls.
  cls: new (config: any, options?: ModelOptions) => Module,
): Architecture {
  return { name, modelType, prefix, labels, cls, create: (c, o) => new cls(c, o) };
}

export const ARCHITECTURES: Record<string, Architecture> = Object.fromEntries(
  [
    arch('BertModel', 'bert', '', false, BertModel),
    arch('BertForMaskedLM', 'bert', 'bert', false, BertForMaskedLM),
    arch('BertForSequenceClassification', 'bert', 'bert', true, BertForSequenceClassification),
    arch('BertForTokenClassification', 'bert', 'bert', true, BertForTokenClassification),
    arch('BertForQuestionAnswering', 'bert', 'bert', false, BertForQuestionAnswering),
    arch('DistilBertModel', 'distilbert', '', false, DistilBertModel),
    arch('DistilBertForMaskedLM', 'distilbert', 'distilbert', false, DistilBertForMaskedLM),
    arch(
      'DistilBertForSequenceClassification',
      'distilbert',
      'distilbert',
      true,
      DistilBertForSequenceClassification,
    ),
    arch(
      'DistilBertForTokenClassification',
      'distilbert',
      'distilbert',
      true,
      DistilBertForTokenClassification,
    ),
    arch(
      'DistilBertForQuestionAnswering',
      'distilbert',
      'distilbert',
      false,
      DistilBertForQuestionAnswering,
    ),
    arch('GPT2Model', 'gpt2', '', false, GPT2Model),
    arch('GPT2LMHeadModel', 'gpt2', 'transformer', false, GPT2LMHeadModel),
    arch('LlamaModel', 'llama', '', false, LlamaModel),
    arch('LlamaForCausalLM', 'llama', 'model', false, LlamaForCausalLM),
  ].map((a) => [a.name, a]),
);

/**
 * Checkpoints saved from these classes load as the closest one here
 * (`BertForPreTraining` = masked LM + next-sentence head, which is skipped).
 */
const ALIASES: Record<string, string> = {
  BertForPreTraining: 'BertForMaskedLM',
  BertLMHeadModel: 'BertForMaskedLM',
};

export function findArchitecture(name: string): Architecture {
  const a = ARCHITECTURES[ALIASES[name] ?? name];
  if (a) return a;
  const names = Object.keys(ARCHITECTURES);
  throw new NotFoundError(
    `architecture "${name}" is not supported.${didYouMean(name, names)} Supported: ${names.join(', ')}`,
    names,
  );
}

/** The architecture a built model is an instance of. */
export function architectureOf(model: Module): Architecture {
  const a = Object.values(ARCHITECTURES).find((x) => model.constructor === x.cls);
  if (!a) {
    throw new ValidationError(
      `${model.constructor.name} is not one of the Hugging Face architectures kd saves (${Object.keys(ARCHITECTURES).join(', ')})`,
    );
  }
  return a;
}

export function familyOf(modelType: string): ModelFamily {
  const f = FAMILIES[modelType as ModelType];
  if (f) return f;
  throw new NotFoundError(
    `model_type "${modelType}" is not supported; supported: ${Object.keys(FAMILIES).join(', ')}`,
    Object.keys(FAMILIES),
  );
}
