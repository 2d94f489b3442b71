import { describe, expect, it } from 'vitest';
import { runExample } from './run-example.js';

describe('@kd/eval guide', () => {
  it('metrics.ts prints the reference tools’ numbers', async () => {
    const { exports, logs } = await runExample('eval/metrics.ts');
    expect(logs).toHaveLength(7);
    expect(exports.w.wer).toBeCloseTo(0.2, 12);
    expect(exports.w.hits).toBe(4);
    expect(exports.w.deletions).toBe(1);
    expect(exports.macroF1).toBeCloseTo(0.26666666666666666, 12);
    expect(exports.mcc).toBeCloseTo(-1 / 3, 12);
    expect(exports.auc).toBe(0.75);
    expect(logs[4]).toBe('{ exact_match: 100, f1: 100 }');
    expect(logs[6]).toBe('0.5 0.5');
  });

  it('streaming.ts: one-shot, streamed and registry results are identical', async () => {
    const { exports } = await runExample('eval/streaming.ts');
    const [a, b, c] = exports.scores;
    expect(a).toBeGreaterThan(0);
    expect(b).toBe(a);
    expect(c).toBe(a);
  });

  it('perplexity.ts: stories260K finds its own kind of sentence likelier', async () => {
    const { exports } = await runExample('eval/perplexity.ts');
    const [story, play, nonsense] = exports.perplexities;
    expect(story).toBeLessThan(nonsense);
    expect(play).toBeLessThan(nonsense);
  });
});
