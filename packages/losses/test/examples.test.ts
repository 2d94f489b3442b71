import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * Every example in examples/ runs here, and the README shows each one
 * verbatim, so the README's code cannot drift from code that runs.
 */
const dir = new URL('../examples/', import.meta.url);
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const files = readdirSync(dir).filter((f) => f.endsWith('.mjs'));

// biome-ignore lint/suspicious/noExplicitAny: example modules are untyped JavaScript.
const run = (name: string): Promise<Record<string, any>> => import(`../examples/${name}.mjs`);

describe('examples', () => {
  it.each(files)('README shows %s verbatim', (file) => {
    const source = readFileSync(new URL(file, dir), 'utf8').trim();
    expect(readme.includes(source), `${file} is not in README.md as written`).toBe(true);
  });

  it('loss-call.mjs: padding ignored, T² convention, head averaging', async () => {
    const { kd, kdNoT2, reverse, hidden, attention } = await run('loss-call');
    expect(kd).toBeCloseTo(4 * kdNoT2, 5);
    for (const v of [kd, reverse, hidden, attention])
      expect(Number.isFinite(v) && v > 0).toBe(true);
  });

  it('distiller.mjs: every term logged, the student moves toward the teacher', async () => {
    const { first, last } = await run('distiller');
    expect(Object.keys(first.terms)).toEqual(['lm-ce', 'logit-kd', 'hidden-mse', 'attention-kl']);
    expect(last.terms['logit-kd']).toBeLessThan(first.terms['logit-kd']);
    expect(last.terms['lm-ce']).toBeLessThan(first.terms['lm-ce']);
  });
});
