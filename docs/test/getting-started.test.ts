import { describe, expect, it } from 'vitest';
import { runExample } from './run-example.js';

describe('getting started', () => {
  it('first-program.ts trains a tiny BERT on SST-2 sentences', async () => {
    const { exports, logs } = await runExample('getting-started/first-program.ts');
    expect(logs[0]).toMatch(/^backend wasm, SIMD true, \d+ kd kernels$/);
    expect(exports.lastLoss).toBeLessThan(exports.firstLoss * 0.5);
    expect(exports.trainAccuracy).toBeGreaterThan(0.9);
  });
});
