import { ValidationError } from '@kd/core';
import type { LoraModel } from './model.js';

/** A parameter group in @kd/optim's form (`groups` option of any optimizer entry). */
export interface LoraPlusGroup {
  name: string;
  params: string[];
  lrScale: number;
  weightDecay?: number;
}

export interface LoraPlusOptions {
  /** η_B / η_A; the LoRA+ paper suggests 2⁴ = 16. */
  ratio: number;
  /**
   * Absolute learning rate for embedding adapters (PEFT's
   * `loraplus_lr_embedding`, default 1e-6), given as a scale of the base
   * lr: pass `lr` to compute it. Omit to leave embedding adapters in group A.
   */
  embeddingLr?: { lr: number; value?: number };
}

/**
 * LoRA+ (Hayou et al. 2024) as PEFT's `create_loraplus_optimizer` groups
 * parameters: `lora_B` matrices **and every 1-D trainable parameter** (DoRA
 * magnitudes, trainable biases, LayerNorm weights of `modules_to_save`) at
 * `ratio × lr`; everything else (the A matrices, 2-D saved weights) at `lr`.
 * Returns @kd/optim parameter groups with exact parameter names, e.g.
 * `createOptimizer('adamw', { lr, groups: loraPlusGroups(lora, { ratio: 16 }) })`.
 */
export function loraPlusGroups(lora: LoraModel, options: LoraPlusOptions): LoraPlusGroup[] {
  if (!(options.ratio > 0)) {
    throw new ValidationError(`LoRA+ ratio must be > 0, got ${options.ratio}`);
  }
  const b: string[] = [];
  const embedding: string[] = [];
  for (const [name, p] of Object.entries(lora.trainableParameters())) {
    if (options.embeddingLr && /\.lora_embedding_[AB]\./.test(`${name}.`)) embedding.push(name);
    else if (name.includes('lora_B') || p.rank === 1) b.push(name);
  }
  const groups: LoraPlusGroup[] = [];
  if (b.length > 0)
    groups.push({ name: 'loraplus_b', params: b.map(escapeGlob), lrScale: options.ratio });
  if (embedding.length > 0 && options.embeddingLr) {
    const value = options.embeddingLr.value ?? 1e-6;
    groups.push({
      name: 'loraplus_embedding',
      params: embedding.map(escapeGlob),
      lrScale: value / options.embeddingLr.lr,
    });
  }
  return groups;
}

/** Parameter names never contain glob characters, but say so if one ever does. */
function escapeGlob(name: string): string {
  if (/[*?]/.test(name))
    throw new ValidationError(`parameter name "${name}" contains a glob character`);
  return name;
}
