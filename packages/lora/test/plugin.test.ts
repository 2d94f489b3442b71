import { initBackend, Registry } from '@kd/core';
import { BertForSequenceClassification } from '@kd/nn';
import { plugin as optim } from '@kd/optim';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AdapterFactory, plugin } from '../src/index.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('adapter registry entries', () => {
  const reg = new Registry();
  reg.register(plugin);
  reg.register(optim);
  const model = () =>
    new BertForSequenceClassification(
      {
        vocabSize: 30,
        hiddenSize: 8,
        numHiddenLayers: 1,
        numAttentionHeads: 2,
        intermediateSize: 16,
        numLabels: 2,
      },
      { seed: 0 },
    );

  it('each variant is LoRA with its own defaults, every PEFT field still settable', () => {
    const ids = reg
      .list('adapter')
      .map((e) => e.id)
      .sort();
    expect(ids).toEqual(['dora', 'lora', 'loraplus', 'olora', 'pissa', 'rslora']);
    const dora = reg.create<AdapterFactory>('adapter', 'dora', { r: 2 });
    expect(dora.config).toMatchObject({ r: 2, useDora: true, loraAlpha: 8 });
    expect(reg.create<AdapterFactory>('adapter', 'rslora', {}).config.useRslora).toBe(true);
    expect(reg.create<AdapterFactory>('adapter', 'pissa', {}).config.initLoraWeights).toBe('pissa');
    expect(
      reg.create<AdapterFactory>('adapter', 'rslora', { useRslora: false }).config.useRslora,
    ).toBe(false);
  });

  it('loraplus gives @kd/optim groups: B and 1-D parameters at 16×', () => {
    const f = reg.create<AdapterFactory>('adapter', 'loraplus', {
      targetModules: ['query'],
      useDora: true,
    });
    const lora = f.apply(model());
    const [group] = f.optimizerGroups(lora);
    expect(group.lrScale).toBe(16);
    expect(group.params.sort()).toEqual([
      'bert.encoder.layer.0.attention.self.query.lora_B.default.weight',
      'bert.encoder.layer.0.attention.self.query.lora_magnitude_vector.default.weight',
    ]);
    expect(reg.create<AdapterFactory>('adapter', 'lora', {}).optimizerGroups(lora)).toEqual([]);
  });

  it('bad options fail before anything runs, naming the field', () => {
    expect(() => reg.parseOptions('adapter', 'lora', { r: 0 })).toThrowError(/r/);
    expect(() => reg.parseOptions('adapter', 'lora', { targetModule: ['q'] })).toThrowError(
      /targetModule/,
    );
    expect(() =>
      reg.parseOptions('adapter', 'lora', { initLoraWeights: 'pissa_fast' }),
    ).toThrowError(/initLoraWeights/);
  });
});
