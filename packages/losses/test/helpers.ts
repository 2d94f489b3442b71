import { Rng } from '@kd/core';
import { LlamaForCausalLM } from '@kd/nn';
import type { DistillBatch } from '../src/index.js';

/** A 3-layer, 16-wide frozen Llama teacher (4 heads, 2 key/value heads). */
export function tinyTeacher(seed = 1): LlamaForCausalLM {
  const t = new LlamaForCausalLM(
    {
      vocabSize: 32,
      hiddenSize: 16,
      intermediateSize: 32,
      numHiddenLayers: 3,
      numAttentionHeads: 4,
      numKeyValueHeads: 2,
      maxPositionEmbeddings: 16,
      // Wider than HF's 0.02 so the random teacher's attention is far from uniform.
      initializerRange: 0.4,
    },
    { seed },
  );
  t.freeze();
  return t;
}

/** A 2-layer, 8-wide Llama student (2 heads) with attention dropout, so resume must restore its streams. */
export function tinyStudent(seed = 2, overrides: Record<string, unknown> = {}): LlamaForCausalLM {
  return new LlamaForCausalLM(
    {
      vocabSize: 32,
      hiddenSize: 8,
      intermediateSize: 16,
      numHiddenLayers: 2,
      numAttentionHeads: 2,
      numKeyValueHeads: 2,
      maxPositionEmbeddings: 16,
      attentionDropout: 0.1,
      ...overrides,
    },
    { seed },
  );
}

/** Batch `step` of a fixed seeded transfer set of 16 rows × 8 tokens; rows 3, 7, … end in 2 pads. */
export function batchAt(step: number, batchSize = 4): DistillBatch {
  const rng = new Rng(99);
  const rows = Array.from({ length: 16 }, () => Array.from({ length: 8 }, () => rng.int(32)));
  const masks = rows.map((r, i) => r.map((_, t) => (i % 4 === 3 && t >= 6 ? 0 : 1)));
  const indices = Array.from({ length: batchSize }, (_, i) => (step * batchSize + i) % 16);
  return {
    inputs: {
      inputIds: indices.map((i) => rows[i]),
      attentionMask: indices.map((i) => masks[i]),
    },
    indices,
  };
}
