import { describe, expect, it } from 'vitest';
import { runExample } from './run-example.js';

describe('@kd/core guide', () => {
  it('registry.ts creates an entry and reports typed errors', async () => {
    const { exports, logs } = await runExample('core/registry.ts');
    expect(exports.peak).toBeCloseTo(1e-3, 12);
    expect(logs[0]).toBe('peak lr 0.00100');
    expect(exports.errors[0]).toMatch(/^invalid options for schedule:inverse-sqrt:\n {2}lr: /);
    expect(exports.errors[0]).toMatch(/warmup: /);
    expect(exports.errors[1]).toMatch(/Did you mean "inverse-sqrt"\?/);
  });

  it('recipes.ts applies the profile, fills defaults and points at the bad option', async () => {
    const { exports, logs } = await runExample('core/recipes.ts');
    expect(logs[0]).toBe('fit-line 7 20 adamw [ 0.9, 0.999 ]');
    expect(exports.options.optimizer.options.weightDecay).toBe(0.01);
    expect(exports.message).toMatch(
      /invalid recipe for task "fit-line":\n {2}optimizer\.options\.lr: /,
    );
  });

  it('safetensors.ts round-trips in memory and on disk', async () => {
    const { exports, logs } = await runExample('core/safetensors.ts');
    expect(logs[0]).toBe(
      "[ 'classifier.bias', 'bert.embeddings.word_embeddings.weight' ] F16 [ 1, 2, 3, 4.5 ]",
    );
    expect(logs[1]).toBe('pt');
    expect(exports.values).toEqual([0.25, -1]);
  });

  it('checkpoints.ts resumes bit for bit', async () => {
    const { exports } = await runExample('core/checkpoints.ts');
    expect(exports.resumed).toHaveLength(10);
    expect(exports.identical).toBe(true);
  });
});
