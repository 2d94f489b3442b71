import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AbortedError, type Progress, silentProgress, type TaskResult } from '@kd/core';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../src/demo/run-demo.js';
import { renderSummary } from '../src/demo/summary.js';

const examplePlugin = fileURLToPath(
  new URL('../../../examples/kd-plugin-example/dist/index.js', import.meta.url),
);

function recipes(): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'kd-demo-recipes-'));
  return [20, 25].map((epochs, i) => {
    const path = join(dir, `toy${i}.yaml`);
    writeFileSync(path, `task: bow-sentiment\nplugins: [${examplePlugin}]\nepochs: ${epochs}\n`);
    return path;
  });
}

const toySystems = (paths: string[]) => [{ system: 'toy', title: 'Toy system', recipes: paths }];

/** Aborts the signal when the named stage reaches `afterTicks` ticks. */
function abortingProgress(controller: AbortController, afterTicks: number): Progress {
  let stages = 0;
  return {
    log() {},
    stage() {
      stages++;
      let ticks = 0;
      return {
        tick(n = 1) {
          ticks += n;
          if (stages === 2 && ticks >= afterTicks) controller.abort();
        },
        done() {},
      };
    },
  };
}

describe('kd demo', () => {
  it('runs every stage, writes results.json and index.html, and reuses finished stages', async () => {
    const out = mkdtempSync(join(tmpdir(), 'kd-demo-'));
    const paths = recipes();
    const opts = {
      out,
      profile: 'quick' as const,
      backend: 'wasm' as const,
      progress: silentProgress,
      systems: toySystems(paths),
    };
    const first = await runDemo({ ...opts, signal: new AbortController().signal });
    expect(first.timings.map((t) => t.reused)).toEqual([false, false]);
    expect(first.doc.sections[0].results).toHaveLength(2);
    expect(existsSync(join(out, 'index.html'))).toBe(true);
    const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(saved.sections[0].results[1].summary).toEqual(first.doc.sections[0].results[1].summary);

    const again = await runDemo({ ...opts, signal: new AbortController().signal });
    expect(again.timings.map((t) => t.reused)).toEqual([true, true]);
    expect(again.doc.sections[0].results[1].summary).toEqual(
      first.doc.sections[0].results[1].summary,
    );
    expect(renderSummary(again.doc)).toMatch(/bow-sentiment\s+accuracy\s+0\.\d{4}/);
  });

  it('an interrupted demo resumes and ends with the numbers of an uninterrupted one', async () => {
    const paths = recipes();
    const base = {
      profile: 'quick' as const,
      backend: 'wasm' as const,
      systems: toySystems(paths),
    };
    const straight = await runDemo({
      ...base,
      out: mkdtempSync(join(tmpdir(), 'kd-demo-a-')),
      progress: silentProgress,
      signal: new AbortController().signal,
    });

    const out = mkdtempSync(join(tmpdir(), 'kd-demo-b-'));
    const controller = new AbortController();
    await expect(
      runDemo({
        ...base,
        out,
        progress: abortingProgress(controller, 7),
        signal: controller.signal,
      }),
    ).rejects.toThrow(AbortedError);
    const resumed = await runDemo({
      ...base,
      out,
      progress: silentProgress,
      signal: new AbortController().signal,
    });
    expect(resumed.timings.map((t) => t.reused)).toEqual([true, false]);
    const losses = (r: TaskResult) => r.plots[0].lines[0].y;
    expect(losses(resumed.doc.sections[0].results[1])).toEqual(
      losses(straight.doc.sections[0].results[1]),
    );
    expect(resumed.doc.sections[0].results[1].summary).toEqual(
      straight.doc.sections[0].results[1].summary,
    );
  });

  it('rejects an unknown system or stage before running anything', async () => {
    const opts = {
      out: mkdtempSync(join(tmpdir(), 'kd-demo-c-')),
      profile: 'quick' as const,
      backend: 'wasm' as const,
      progress: silentProgress,
      signal: new AbortController().signal,
    };
    await expect(runDemo({ ...opts, only: ['grpah'] })).rejects.toThrow(
      /--only: unknown system "grpah"; systems are distillation, lora, optim, graph/,
    );
    await expect(
      runDemo({ ...opts, systems: [{ system: 'x', title: 'x', recipes: ['nope/missing'] }] }),
    ).rejects.toThrow(/demo stage "nope\/missing" has no bundled recipe/);
  });
});
