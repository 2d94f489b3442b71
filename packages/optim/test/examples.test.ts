import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * Every example in examples/ runs here, and the README shows each one
 * verbatim, so the README's code cannot drift from code that runs.
 */
const dir = new URL('../examples/', import.meta.url);
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const files = readdirSync(dir).filter((f) => f.endsWith('.mjs'));

/** Runs an example module (a plain .mjs file, so no types to import). */
// biome-ignore lint/suspicious/noExplicitAny: example modules are untyped JavaScript.
const run = (name: string): Promise<Record<string, any>> => import(`../examples/${name}.mjs`);

describe('examples', () => {
  it.each(files)('README shows %s verbatim', (file) => {
    const source = readFileSync(new URL(file, dir), 'utf8').trim();
    expect(readme.includes(source), `${file} is not in README.md as written`).toBe(true);
  });

  it('chain.mjs fits the line', async () => {
    const { finalLoss } = await run('chain');
    expect(finalLoss).toBeLessThan(1e-3);
  });

  it('masked-adamw.mjs: lora_B moves 16× the base rate, the bias the base rate, undecayed', async () => {
    const { loraB, bias } = await run('masked-adamw');
    expect(loraB).toBeCloseTo(-16 * 2e-4, 7);
    expect(bias).toBeCloseTo(-2e-4, 8);
  });

  it('schedule.mjs: each step used the one-cycle rate', async () => {
    const { used } = await run('schedule');
    expect(used[0]).toBeCloseTo(0.1 / 25, 12);
    expect(Math.max(...used)).toBeCloseTo(0.1, 6);
  });

  it('drop-in.mjs trains through minimize()', async () => {
    const { trained, averaged } = await run('drop-in');
    expect(trained).toBeLessThan(0.05);
    expect(averaged).toBeLessThan(0.1);
  });

  it('checkpoint.mjs resumes', async () => {
    const { iterations } = await run('checkpoint');
    expect(iterations).toBe(20);
  });
});
