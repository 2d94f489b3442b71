import { describe, expect, it } from 'vitest';
import { runExample } from './run-example.js';

describe('@kd/losses guide', () => {
  it('logit-kd.ts equals the definition worked in plain JavaScript', async () => {
    const { exports } = await runExample('losses/logit-kd.ts');
    expect(exports.values.fromKd).toBeCloseTo(exports.values.byHand, 6);
    expect(exports.masked).toBeGreaterThan(0);
    expect(exports.masked).not.toBeCloseTo(exports.values.fromKd, 3);
  });

  it('distiller.ts trains the student on three terms', async () => {
    const { exports, logs } = await runExample('losses/distiller.ts');
    expect(logs[0]).toBe("[ 'logit-kd', 'hidden-mse', 'ce' ]");
    expect(exports.totals.last).toBeLessThan(exports.totals.first);
  });
});
