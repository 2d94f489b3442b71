import { type BertConfigInput, BertForMaskedLM, BertForSequenceClassification } from '@kd/nn';
import { z } from 'zod';

/** The encoder teacher's shape: a 4-layer, 64-wide BERT over a pruned 4,096-piece vocabulary. */
export const encoderShape = z.strictObject({
  vocabSize: z.number().int().min(64).default(4096),
  hiddenSize: z.number().int().positive().default(64),
  numHiddenLayers: z.number().int().positive().default(4),
  numAttentionHeads: z.number().int().positive().default(4),
  intermediateSize: z.number().int().positive().default(256),
  maxPositionEmbeddings: z.number().int().positive().default(128),
});
export type EncoderShape = z.output<typeof encoderShape>;

export function bertConfig(
  shape: EncoderShape,
  extra: Partial<BertConfigInput> = {},
): BertConfigInput {
  return { ...shape, typeVocabSize: 2, padTokenId: 0, ...extra };
}

export function maskedLm(shape: EncoderShape, seed: number): BertForMaskedLM {
  return new BertForMaskedLM(bertConfig(shape), { seed });
}

export function classifier(
  shape: EncoderShape,
  numLabels: number,
  seed: number,
): BertForSequenceClassification {
  return new BertForSequenceClassification(bertConfig(shape, { numLabels }), { seed });
}
