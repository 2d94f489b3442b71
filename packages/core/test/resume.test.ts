import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryCheckpointStore } from '../src/node/index.js';

/**
 * Kill-and-resume: a real training run (resume-child.ts) is SIGKILLed twice
 * mid-run, each time resumed in a new process from its latest checkpoint,
 * and must end with parameters and loss history bit-identical to a run that
 * never stopped.
 */

const here = fileURLToPath(new URL('.', import.meta.url));
const STEPS = 60;
const EVERY = 7;
let work: string;
let child: string;

beforeAll(async () => {
  // Bundled so plain `node` can run the TypeScript sources; placed under
  // packages/core so the external packages (tfjs, zod, yaml) resolve.
  const cache = join(here, '..', 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  work = mkdtempSync(join(cache, 'kd-resume-'));
  child = join(work, 'child.mjs');
  await build({
    entryPoints: [join(here, 'resume-child.ts')],
    outfile: child,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    // @kd/core declares "sideEffects": false, but its backend module needs
    // the side-effect import that registers tfjs' gradients.
    ignoreAnnotations: true,
    logLevel: 'warning',
  });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Result {
  params: Record<string, string>;
  losses: number[];
  tensorsAfterFirstStep: number;
  tensorsAtEnd: number;
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the child; with `killAtStep`, SIGKILLs it once it reports that step. */
function run(
  dir: string,
  out: string,
  options: { killAtStep?: number; slowAfter?: number } = {},
): Promise<Run> {
  const args = [
    child,
    '--dir',
    dir,
    '--steps',
    String(STEPS),
    '--every',
    String(EVERY),
    '--out',
    out,
  ];
  if (options.slowAfter !== undefined) args.push('--slow-after', String(options.slowAfter));
  return new Promise((resolve, reject) => {
    const p: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (options.killAtStep !== undefined && stdout.includes(`step ${options.killAtStep}\n`)) {
        p.kill('SIGKILL');
      }
    });
    p.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    p.on('error', reject);
    p.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const readResult = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Result;

describe('kill and resume', () => {
  it('a run SIGKILLed twice and resumed reproduces the uninterrupted run bit for bit', async () => {
    const refOut = join(work, 'ref.json');
    const ref = await run(join(work, 'ref'), refOut);
    expect(ref.code, ref.stderr).toBe(0);
    const reference = readResult(refOut);
    expect(reference.losses.length).toBe(STEPS);
    // It trains: the loss falls.
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(reference.losses.slice(-10))).toBeLessThan(mean(reference.losses.slice(0, 10)));
    // Memory is owned: no tensors accumulate over the steps.
    expect(reference.tensorsAtEnd).toBe(reference.tensorsAfterFirstStep);

    const dir = join(work, 'killed');
    const out = join(work, 'killed.json');
    const store = new DirectoryCheckpointStore(dir);

    const first = await run(dir, out, { killAtStep: 24, slowAfter: 22 });
    expect(first.signal, first.stderr).toBe('SIGKILL');
    const afterFirst = await store.steps();
    expect(Math.max(...afterFirst)).toBeGreaterThanOrEqual(21);
    expect(Math.max(...afterFirst)).toBeLessThan(STEPS);

    const second = await run(dir, out, { killAtStep: 45, slowAfter: 43 });
    expect(second.signal, second.stderr).toBe('SIGKILL');
    expect(second.stdout).toMatch(/^resumed (21|28)\n/);
    expect(Math.max(...(await store.steps()))).toBeGreaterThanOrEqual(42);

    const third = await run(dir, out);
    expect(third.code, third.stderr).toBe(0);
    expect(third.stdout).toMatch(/^resumed (42|49)\n/);
    // Only complete checkpoints remain (keep: 2), no temp directories.
    expect(readdirSync(dir).sort()).toEqual(['step-49', 'step-56']);

    const resumed = readResult(out);
    expect(resumed.params).toEqual(reference.params);
    expect(resumed.losses.length).toBe(STEPS);
    for (let i = 0; i < STEPS; i++) {
      expect(Object.is(resumed.losses[i], reference.losses[i]), `loss at step ${i + 1}`).toBe(true);
    }
  });
});
