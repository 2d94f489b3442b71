import { describe, expect, it } from 'vitest';
import { runExample } from './run-example.js';

describe('@kd/backend-wasm guide', () => {
  it('threads.ts runs a threaded product that agrees with tfjs-cpu', async () => {
    const { exports, logs } = await runExample('backend-wasm/threads.ts');
    expect(logs[0]).toBe('wasm true 2 true');
    expect(exports.maxAbsDiff).toBeLessThan(1e-4);
  });
});
