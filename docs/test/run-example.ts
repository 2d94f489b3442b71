import { format } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { expect, vi } from 'vitest';

export interface ExampleRun {
  // biome-ignore lint/suspicious/noExplicitAny: examples export whatever they show.
  exports: Record<string, any>;
  /** What the example printed with console.log, one string per call. */
  logs: string[];
}

/**
 * Imports `docs/examples/<path>` (running it, top-level awaits included) with
 * console.log captured, and checks that it left no tensor behind: the docs'
 * examples are copied into real programs, so they must dispose what they make.
 */
export async function runExample(path: string, { leaks = 0 } = {}): Promise<ExampleRun> {
  const logs: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    logs.push(format(...args));
  });
  const before = tf.engine().state.numTensors;
  try {
    const exports = await import(`../examples/${path}`);
    expect(tf.engine().state.numTensors - before, `${path} leaked tensors`).toBeLessThanOrEqual(
      leaks,
    );
    return { exports, logs };
  } finally {
    spy.mockRestore();
  }
}
