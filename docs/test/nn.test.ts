import { describe, expect, it } from 'vitest';
import { runExample } from './run-example.js';

describe('@kd/nn guide', () => {
  it('generate.ts reproduces stories260K', async () => {
    const { exports, logs } = await runExample('nn/generate.ts');
    expect(
      exports.greedyText.startsWith('Once upon a time, there was a little girl named Lily.'),
    ).toBe(true);
    expect(exports.sampledText.startsWith('There was a big')).toBe(true);
    expect(logs[3]).toBe('model.embed_tokens.weight');
  });

  it('taps.ts records hidden states and attention maps', async () => {
    const { exports, logs } = await runExample('nn/taps.ts');
    expect(logs.slice(0, 3)).toEqual([
      '5 [ 2, 4, 32 ]',
      '4 [ 2, 4, 4, 4 ]',
      'encoder.layer.3.attention.self',
    ]);
    expect(exports.mse).toBeGreaterThan(0);
  });

  it('checkpoints.ts loads a base checkpoint into a head model and freezes by glob', async () => {
    const { exports, logs } = await runExample('nn/checkpoints.ts');
    expect(logs[0]).toBe(
      "BertForSequenceClassification [ 'classifier.weight', 'classifier.bias' ]",
    );
    expect(logs[1]).toBe('bert.embeddings.word_embeddings.weight');
    expect(exports.trainable).toBeLessThan(exports.total);
    expect(exports.trainable).toBeGreaterThan(0);
  });
});
