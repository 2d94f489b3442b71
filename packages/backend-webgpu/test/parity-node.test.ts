import { initBackend } from '@kd/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  compareParity,
  formatParity,
  type ParityCaseResult,
  parityCases,
  runParity,
  TOLERANCES,
} from '../src/parity/index.js';

/**
 * The parity suite on tfjs' wasm backend in Node against the cpu backend, and checks
 * that the suite itself can fail: a perturbed result is caught at each tolerance.
 */
const cases = parityCases();
let cpu: ParityCaseResult[];

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
  cpu = (await runParity(cases)).results;
});

describe('the parity cases', () => {
  it('cover every op family kd uses, with distinct names and fixed inputs', () => {
    const names = cases.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(cases.map((c) => c.group))).toEqual(
      new Set([
        'matmul',
        'softmax',
        'layer norm',
        'activations',
        'math',
        'reductions',
        'indexing',
        'shape',
        'non-finite',
      ]),
    );
    expect(cases.filter((c) => c.group === 'matmul').length).toBe(16 + 6);
    // Same seed, same inputs; another seed, other inputs.
    expect(parityCases()[0].inputs[0].data).toEqual(cases[0].inputs[0].data);
    expect(parityCases(1)[0].inputs[0].data).not.toEqual(cases[0].inputs[0].data);
  });

  it('run on cpu without errors, leaks or all-zero gradients', async () => {
    for (const r of cpu) expect(r.error, r.case).toBeUndefined();
    const grads = cpu.flatMap((r) => r.outputs.filter((o) => o.name.startsWith('d/')));
    expect(grads.length).toBeGreaterThan(100);
    const zero = cpu.filter((r) =>
      r.outputs.some((o) => o.name.startsWith('d/') && o.values.every((v) => v === 0)),
    );
    // Zero by definition there (step, floor, sign); nowhere else.
    expect(zero.map((r) => r.case)).toEqual(['step (zero gradient)', 'floor, sign, cast to int32']);
    const { results } = await runParity(cases.slice(0, 5));
    expect(results.map((r) => r.outputs.length)).toEqual(
      cpu.slice(0, 5).map((r) => r.outputs.length),
    );
  });

  it('catch a wrong value at each tolerance class', () => {
    const probe = cases.find((c) => c.tol === 'transcendental' && c.name === 'exp');
    if (!probe) throw new Error('no exp case');
    const ref = cpu.find((r) => r.case === 'exp') as ParityCaseResult;
    // The error is relative to the output's largest value (at least 1).
    const bumped = (by: number): ParityCaseResult => ({
      ...ref,
      outputs: ref.outputs.map((o) => {
        const scale = Math.max(1, ...o.values.map(Math.abs));
        return { ...o, values: o.values.map((v, i) => (i === 7 ? v + by * scale : v)) };
      }),
    });
    const limit = TOLERANCES.transcendental;
    expect(compareParity([probe], [ref], [bumped(limit / 2)]).every((r) => r.pass)).toBe(true);
    expect(compareParity([probe], [ref], [bumped(limit * 2)]).some((r) => !r.pass)).toBe(true);
    const nan: ParityCaseResult = {
      ...ref,
      outputs: ref.outputs.map((o) => ({
        ...o,
        values: o.values.map((v, i) => (i === 0 ? Number.NaN : v)),
      })),
    };
    expect(compareParity([probe], [ref], [nan])[0].problem).toMatch(/element 0 is NaN instead of/);
    const threw: ParityCaseResult = { case: 'exp', outputs: [], ms: 0, error: 'kernel not found' };
    expect(compareParity([probe], [ref], [threw])[0]).toMatchObject({
      pass: false,
      problem: 'threw: kernel not found',
    });
  });
});

describe('wasm', () => {
  it('matches cpu on every op and gradient', async () => {
    await initBackend({ backend: 'wasm' });
    const run = await runParity(cases);
    expect(run.backend).toBe('wasm');
    const rows = compareParity(cases, cpu, run.results);
    const failures = rows.filter((r) => !r.pass);
    expect(failures, formatParity(failures)).toEqual([]);
    expect(rows.length).toBeGreaterThan(200);
  });
});
