import { describe, expect, it } from 'vitest';
import { runExample } from './run-example.js';

describe('@kd/graph guide', () => {
  it('cora-gcn.ts learns Cora', async () => {
    const { exports, logs } = await runExample('graph/cora-gcn.ts');
    // 60 epochs (the paper trains 200 and reports 81.5 %): well above chance (1/7).
    expect(exports.best.testAcc).toBeGreaterThan(0.6);
    expect(logs[1]).toContain('conv1.lin.weight');
  });

  it('message-passing.ts aggregates with an edge-weighted max', async () => {
    const { exports } = await runExample('graph/message-passing.ts');
    expect(exports.out).toEqual([0.5, 4, 0, 0, 3, 2]);
  });
});
