import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { livePrivateSpaces, liveWorkers, threadSupport, WasmKernelProvider } from '../src/index.js';
import { PrivateSpace } from '../src/runtime/private-space.js';
import { TASK_GEMM } from '../src/runtime/tasks.js';

const run = promisify(execFile);
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

describe('worker pool', () => {
  it('has shared memory and workers in Node', () => {
    expect(threadSupport()).toMatchObject({ sharedMemory: true, canBlock: true, workers: 'node' });
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
    try {
      expect(space.threads).toBe(2);
      const job = space.scratch(1 << 20);
      const words = new Int32Array(21);
      // A 64×64×64 GEMM whose operands point past the end of memory: both threads trap.
      Object.assign(words, [
        2,
        64,
        64,
        64,
        0x7ff00000,
        64,
        0,
        0x7ff00000,
        64,
        0,
        job + 4096,
        job + 512,
      ]);
      words[20] = job + 8192; // work
      space.i32.set(words, job >> 2);
      space.i32.fill(0, (job + 512) >> 2, (job + 512 + 32) >> 2);
      expect(() => space.run(TASK_GEMM, job, 2)).toThrow();
      // Now a valid one: A, B, C in scratch, zero-filled A gives C = 0.
      const a = job + (1 << 16);
      const b = a + 64 * 64 * 4;
      const c = b + 64 * 64 * 4;
      const work = space.scratch((1 << 20) + 2 * space.workBytes) + (1 << 20);
      space.f32.fill(1, a >> 2, (a >> 2) + 64 * 64 * 2);
      Object.assign(words, [2, 64, 64, 64, a, 64, 0, b, 64, 0, c, job + 512]);
      words[20] = work;
      space.i32.set(words, job >> 2);
      space.run(TASK_GEMM, job, 2);
      expect(Array.from(space.f32.subarray(c >> 2, (c >> 2) + 4))).toEqual([64, 64, 64, 64]);
      expect(space.f32[(c >> 2) + 2 * 64 * 64 - 1]).toBe(64);
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
