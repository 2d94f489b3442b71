import { initBackend, Registry, ValidationError } from '@kd/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ARCHITECTURES,
  architectureId,
  BertForSequenceClassification,
  type LlamaForCausalLM,
  type Module,
  plugin,
} from '../src/index.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('plugin', () => {
  it('provides one model entry per Hugging Face architecture and registers nothing on import', () => {
    const registry = Registry.isolated();
    expect(registry.list('model')).toEqual([]);
    registry.register(plugin);
    const ids = registry.list('model').map((e) => e.id);
    expect(ids).toHaveLength(Object.keys(ARCHITECTURES).length);
    expect(ids).toContain('bert-for-sequence-classification');
    expect(ids).toContain('gpt2-lm-head-model');
    expect(ids).toContain('llama-for-causal-lm');
    expect(architectureId('DistilBertForMaskedLM')).toBe('distilbert-for-masked-lm');
  });

  it('creates models from validated options and rejects typos', () => {
    const registry = Registry.isolated();
    registry.register(plugin);
    const m = registry.create<Module>('model', 'bert-for-sequence-classification', {
      vocabSize: 30,
      hiddenSize: 8,
      numHiddenLayers: 1,
      numAttentionHeads: 2,
      intermediateSize: 16,
      numLabels: 3,
      seed: 4,
    });
    expect(m).toBeInstanceOf(BertForSequenceClassification);
    expect(m.getParameter('classifier.weight').shape).toEqual([3, 8]);
    m.dispose();
    const l = registry.create<LlamaForCausalLM>('model', 'llama-for-causal-lm', {
      vocabSize: 30,
      hiddenSize: 8,
      intermediateSize: 16,
      numHiddenLayers: 1,
      numAttentionHeads: 2,
    });
    expect(l.config.numKeyValueHeads).toBeNull();
    l.dispose();
    expect(() => registry.create('model', 'bert-model', { hiddenSise: 8 })).toThrow(
      ValidationError,
    );
    expect(() => registry.create('model', 'bert-model', { hiddenSise: 8 })).toThrow(/hiddenSise/);
  });
});
