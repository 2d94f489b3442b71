import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { disposeBackend, initBackend, Registry } from '@kd/core';
import { describe, expect, it } from 'vitest';
import {
  livePrivateSpaces,
  liveWorkers,
  pluginWith,
  threadSupport,
  WasmKernelProvider,
} from '../src/index.js';
import { PrivateSpace } from '../src/runtime/private-space.js';
import { TASK_GEMM } from '../src/runtime/tasks.js';

const run = promisify(execFile);
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

describe('worker pool', () => {
  it('has shared memory and workers in Node', () => {
    expect(threadSupport()).toMatchObject({ sharedMemory: true, canBlock: true, workers: 'node' });
  });

  it('installs only the kernels pluginWith({ only }) names, with the defaults it was given', async () => {
    const registry = Registry.isolated();
    registry.register(pluginWith({ only: ['BatchMatMul', 'Erf'], minParallelFlops: 7 }));
    const info = await initBackend({ backend: 'wasm', threads: 1, registry });
    // (info.kernels also lists @kd/core's own wasm fixes: UnsortedSegmentSum, GatherV2.)
    expect(info.providers['wasm-simd']!.kernels).toBe(2);
    expect(info.kernels).toEqual(expect.arrayContaining(['BatchMatMul', 'Erf']));
    for (const k of ['_FusedMatMul', 'Add', 'Sum', 'Exp', 'Transpose'])
      expect(info.kernels).not.toContain(k);
    await disposeBackend();
  });

  it('starts and stops 100 times and leaves no worker behind', async () => {
    for (let i = 0; i < 100; i++) {
      const provider = new WasmKernelProvider();
      const kernels = await provider.kernels({ threads: 2 });
      expect(kernels.map((k) => k.kernelName)).toContain('BatchMatMul');
      expect(provider.describe()).toMatchObject({ active: true, threads: 2 });
      expect(liveWorkers()).toBe(1);
      await provider.dispose();
      expect(liveWorkers()).toBe(0);
    }
    expect(livePrivateSpaces()).toBe(0);
  });

  it('survives a task that traps in every thread, without deadlock, and keeps working', async () => {
    const space = await PrivateSpace.create({ threads: 2, spin: 1000, maxMemoryMiB: 256 });
    /** Two 64×64×64 GEMM jobs (one per thread, 32 words each), rows split 32/32. */
    const jobs = (base: number, a: number, b: number, c: number, work: number) => {
      for (const t of [0, 1]) {
        const w = new Int32Array(32);
        // nb m n k | A lda tA | B ldb tB | C offsets | … | work | b0 b1 m0 m1 n0 n1
        w.set([1, 64, 64, 64, a, 64, 0, b, 64, 0, c, base + 512]);
        w[20] = work + t * space.workBytes;
        w.set([0, 1, t * 32, t * 32 + 32, 0, 64], 21);
        space.i32.set(w, (base + t * 128) >> 2);
      }
      space.i32.fill(0, (base + 512) >> 2, (base + 512 + 16) >> 2);
    };
    try {
      expect(space.threads).toBe(2);
      const base = space.scratch((1 << 20) + 2 * space.workBytes);
      const work = base + (1 << 20);
      // Operands past the end of memory: both threads trap.
      jobs(base, 0x7ff00000, 0x7ff00000, base + 4096, work);
      expect(() => space.run(TASK_GEMM, base, 2)).toThrow();
      // Now a valid one: A and B all ones, so every entry of C is 64.
      const a = base + (1 << 16);
      const b = a + 64 * 64 * 4;
      const c = b + 64 * 64 * 4;
      space.f32.fill(1, a >> 2, (a >> 2) + 64 * 64 * 2);
      jobs(base, a, b, c, work);
      space.run(TASK_GEMM, base, 2);
      const out = space.f32.subarray(c >> 2, (c >> 2) + 64 * 64);
      expect(out.every((v) => v === 64)).toBe(true);
    } finally {
      await space.dispose();
    }
    expect(liveWorkers()).toBe(0);
  });

  it('lets a process that never disposes its kernels exit once its work is done', async () => {
    const script = `
      const { initBackend, Registry } = await import('@kd/core');
      const tf = await import('@tensorflow/tfjs-core');
      const { plugin } = await import(${JSON.stringify(dist)});
      const registry = Registry.isolated();
      registry.register(plugin);
      const info = await initBackend({ backend: 'wasm', threads: 2, registry });
      const c = tf.matMul(tf.ones([300, 300]), tf.ones([300, 300]));
      console.log(info.providers['wasm-simd'].threads, c.dataSync()[0]);
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      timeout: 60_000,
    });
    expect(stdout.trim()).toBe('2 300');
  });
});
