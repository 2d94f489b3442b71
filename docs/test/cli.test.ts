import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The CLI guide's shell examples run as written, with the `kd` that this
 * package depends on first on PATH, in a scratch directory holding the
 * example recipes.
 */
const examples = fileURLToPath(new URL('../examples/cli/', import.meta.url));
const bin = fileURLToPath(new URL('../node_modules/.bin', import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), 'kd-docs-cli-'));
for (const f of readdirSync(examples).filter((f) => f.endsWith('.yaml'))) {
  copyFileSync(join(examples, f), join(cwd, f));
}
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

function sh(script: string) {
  const r = spawnSync('bash', ['-e', join(examples, script)], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH}`, NO_COLOR: '1' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('CLI guide', () => {
  it('run.sh validates, runs and reports a plugin recipe', () => {
    const r = sh('run.sh');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('valid (task bow-sentiment)');
    expect(r.stdout).toMatch(/bag-of-words logistic regression/);
    expect(r.stdout).toContain('results: runs/bow/results.json');
    expect(r.stdout).toMatch(/runs\/bow\/index\.html\n$/);
  });

  it('validate.sh reports the bad option and exits 2', () => {
    const r = sh('validate.sh');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /^kd: \S*bad-recipe\.yaml: invalid recipe for task "bow-sentiment":\n {2}epochs: expected number, got "many"\n$/,
    );
    expect(r.stdout).toBe('exit code 2\n');
  });

  it('discover.sh lists recipes, optimizers and backends', () => {
    const r = sh('discover.sh');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('optim/optim-compare');
    expect(r.stdout).toMatch(/optimizer\s+adamw\s+@kd\/optim/);
    expect(r.stdout).toMatch(/backend wasm\s+yes/);
  });

  it('metric.sh scores JSON from stdin and JSON Lines from a file', () => {
    const r = sh('metric.sh');
    expect(r.status, r.stderr).toBe(0);
    const [bleu, wer] = r.stdout
      .trim()
      .split(/\n(?=\{)/)
      .map((s) => JSON.parse(s));
    expect(bleu.score).toBeCloseTo(100, 10); // sacreBLEU too gives 100.00000000000004
    expect(wer.wer).toBeCloseTo(0.2, 12);
  });
});
