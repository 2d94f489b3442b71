import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const examplePlugin = fileURLToPath(
  new URL('../../../examples/kd-plugin-example/dist/index.js', import.meta.url),
);

function kd(args: string[], cwd = process.cwd(), input?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', input });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function recipe(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kd-cli-'));
  const path = join(dir, 'recipe.yaml');
  writeFileSync(path, text);
  return path;
}

describe('kd command', () => {
  it('--help lists the commands and exits 0; --version matches package.json', () => {
    const help = kd(['--help']);
    expect(help.code).toBe(0);
    for (const cmd of ['run', 'recipes', 'plugins', 'doctor'])
      expect(help.stdout).toMatch(new RegExp(`\\b${cmd}\\b`));
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(kd(['--version']).stdout.trim()).toBe(pkg.version);
  });

  it('an unknown command is a usage error (exit 2)', () => {
    const r = kd(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'frobnicate'/);
  });

  it('plugins --json lists third-party entries with their package and version', () => {
    const r = kd(['plugins', '--json', '--plugin', examplePlugin]);
    expect(r.code).toBe(0);
    const entries = JSON.parse(r.stdout) as {
      kind: string;
      id: string;
      package: string;
      version: string;
    }[];
    expect(entries).toContainEqual(
      expect.objectContaining({
        kind: 'task',
        id: 'bow-sentiment',
        package: 'kd-plugin-example',
        version: '1.0.0',
      }),
    );
  });

  it('doctor --json reports wasm with SIMD and the versions', () => {
    const r = kd(['doctor', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.backends.wasm.backend).toBe('wasm');
    expect(report.backends.wasm.simd).toBe(true);
    expect(report.versions['@kd/core']).toMatch(/^\d+\.\d+\.\d+$/);
    expect(report.machine.cpus).toBeGreaterThan(0);
  });

  it('a broken recipe fails before running, with the path of the problem', () => {
    const unknownTask = kd(['run', recipe('task: bow-sentimnt\n'), '--plugin', examplePlugin]);
    expect(unknownTask.code).toBe(2);
    expect(unknownTask.stderr).toMatch(
      /no task "bow-sentimnt" is registered\. Did you mean "bow-sentiment"\?/,
    );

    const wrongType = kd([
      'run',
      recipe('task: bow-sentiment\nepochs: lots\nlr: -1\n'),
      '--plugin',
      examplePlugin,
    ]);
    expect(wrongType.code).toBe(2);
    expect(wrongType.stderr).toMatch(/epochs: expected number, got "lots"/);
    expect(wrongType.stderr).toMatch(/lr: expected number > 0, got -1/);

    const missingPlugin = kd(['run', recipe('task: bow-sentiment\nplugins: [./nope.js]\n')]);
    expect(missingPlugin.code).toBe(2);
    expect(missingPlugin.stderr).toMatch(/cannot import plugin "\.\/nope\.js"/);

    const missingFile = kd(['run', '/nonexistent/recipe.yaml']);
    expect(missingFile.code).toBe(2);
    expect(missingFile.stderr).toMatch(/\/nonexistent\/recipe\.yaml: no such recipe file/);

    const badYaml = kd(['run', recipe('task: [oops\n')]);
    expect(badYaml.code).toBe(1);
    expect(badYaml.stderr).toMatch(
      /not valid YAML: line 2, column 1: Flow sequence in block collection must be sufficiently indented and end with a \]$/m,
    );
  });

  it('runs a recipe with a third-party plugin, prints the table and writes results.json with provenance', () => {
    const out = mkdtempSync(join(tmpdir(), 'kd-out-'));
    const r = kd([
      'run',
      recipe(`task: bow-sentiment\nplugins: [${examplePlugin}]\nepochs: 30\n`),
      '--out',
      out,
      '--seed',
      '2',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/bag-of-words logistic regression\s+\d+\.\d\d/);
    expect(r.stderr).toMatch(/bag-of-words sentiment: done/); // plain progress lines when not a TTY
    const result = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(result.summary.accuracy).toBeGreaterThan(result.summary.majority_accuracy);
    expect(result.provenance).toMatchObject({
      seed: 2,
      profile: 'quick',
      backend: 'wasm',
      simd: true,
    });
    expect(result.provenance.versions['kd-plugin-example']).toBe('1.0.0');
    expect(result.provenance.machine.cpus).toBeGreaterThan(0);
  });

  it('Ctrl-C stops after the current epoch with exit 130; the same command resumes to the uninterrupted numbers', async () => {
    const path = recipe(`task: bow-sentiment\nplugins: [${examplePlugin}]\nepochs: 600\n`);
    const out = mkdtempSync(join(tmpdir(), 'kd-out-'));
    const child = spawn(process.execPath, [bin, 'run', path, '--out', out]);
    let stderr = '';
    let interruptedAt = -1;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      const done = [...stderr.matchAll(/(\d+)\/600 epochs/g)].map((m) => Number(m[1]));
      if (interruptedAt < 0 && done.some((n) => n >= 120)) {
        interruptedAt = Math.max(...done);
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/stopping after the current step/);
    expect(interruptedAt).toBeLessThan(600);
    expect(existsSync(join(out, 'results.json'))).toBe(false);

    const resumed = kd(['run', path, '--out', out]);
    expect(resumed.code, resumed.stderr).toBe(0);
    // It picks up at the checkpoint: its first progress past 0 is at least
    // where it stopped (a fresh start would report 60 first).
    const counts = [...resumed.stderr.matchAll(/(\d+)\/600 epochs/g)].map((m) => Number(m[1]));
    expect(counts.find((n) => n > 0)).toBeGreaterThanOrEqual(interruptedAt);
    const straight = kd(['run', path, '--out', mkdtempSync(join(tmpdir(), 'kd-out-'))]);
    expect(straight.code, straight.stderr).toBe(0);
    const summary = (dir: string) =>
      JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).summary;
    expect(summary(out)).toEqual(
      summary(straight.stdout.match(/results: (.+)\/results\.json/)![1]),
    );
  });

  it('metric computes from stdin JSON, lists metrics, and rejects unknown options', () => {
    const list = kd(['metric', '--list', '--json']);
    expect(list.code).toBe(0);
    const ids = (JSON.parse(list.stdout) as { id: string }[]).map((m) => m.id);
    expect(ids).toEqual(
      expect.arrayContaining(['sacrebleu', 'rouge', 'wer', 'cer', 'f1', 'squad']),
    );

    const input = JSON.stringify({
      predictions: ['the cat sat', 'a b c'],
      references: ['the cat sat', 'a x c'],
    });
    const wer = kd(['metric', 'wer'], process.cwd(), input);
    expect(wer.code, wer.stderr).toBe(0);
    // One substitution in six reference words (jiwer's corpus WER).
    expect(JSON.parse(wer.stdout).wer).toBeCloseTo(1 / 6, 12);

    const bad = kd(
      ['metric', 'wer', '--options', '{"lowercase_everything":true}'],
      process.cwd(),
      input,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown option "lowercase_everything"/);
  });
});
