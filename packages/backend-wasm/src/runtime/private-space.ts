import { BackendError } from '@kd/core';
import { KernelMemoryError } from './errors.js';
import {
  ARENA_BASE,
  CTRL_ERRORS,
  CTRL_GEN,
  CTRL_JOB,
  CTRL_KIND,
  CTRL_PENDING,
  CTRL_QUIT,
  CTRL_SPIN,
  CTRL_THREADS,
  PAGE_BYTES,
} from './layout.js';
import { compileKernels, type KernelExports } from './module.js';
import { type ThreadSupport, threadSupport } from './platform.js';
import { WorkerPool } from './pool.js';
import type { Space } from './space.js';

export interface PrivateSpaceOptions {
  /** Threads to compute with, the calling thread included. */
  threads: number;
  /** Times an idle worker polls for the next task before it sleeps. */
  spin: number;
  /** Upper bound of the shared memory, MiB. */
  maxMemoryMiB: number;
}

const spaces = new Set<PrivateSpace>();

/** Private spaces not yet disposed (each holds a memory and maybe workers). */
export function livePrivateSpaces(): number {
  return spaces.size;
}

/**
 * The kernel module in a memory of its own: operands are copied in and results out.
 * With threads, the memory is shared with a pool of workers that run the same
 * module; kernels are synchronous in tfjs, so `run` publishes a task, computes
 * thread 0's share itself and then blocks (Atomics.wait; or, where the platform
 * forbids blocking, as on a browser's main thread, polls) until the workers are done.
 */
export class PrivateSpace implements Space {
  readonly mode: 'single' | 'threads';
  readonly threads: number;
  /** Why fewer threads than requested, if so. */
  readonly reason: string | undefined;
  readonly workBytes: number;
  readonly memory: WebAssembly.Memory;
  f32: Float32Array;
  i32: Int32Array;
  readonly #exports: KernelExports;
  readonly #pool: WorkerPool | undefined;
  readonly #canBlock: boolean;
  #disposed = false;

  private constructor(
    memory: WebAssembly.Memory,
    exports: KernelExports,
    pool: WorkerPool | undefined,
    canBlock: boolean,
    reason: string | undefined,
  ) {
    this.mode = pool ? 'threads' : 'single';
    this.memory = memory;
    this.#exports = exports;
    this.#pool = pool;
    this.#canBlock = canBlock;
    this.threads = pool ? pool.size + 1 : 1;
    this.reason = reason;
    this.workBytes = exports.WORK_BYTES.value as number;
    this.f32 = new Float32Array(memory.buffer);
    this.i32 = new Int32Array(memory.buffer);
    spaces.add(this);
  }

  /**
   * With `threads` > 1 and shared memory plus workers available, a threaded space;
   * otherwise (saying why in `reason`) a single-threaded one.
   */
  static async create(options: PrivateSpaceOptions): Promise<PrivateSpace> {
    const support = threadSupport();
    let reason: string | undefined;
    if (options.threads > 1) {
      if (!support.sharedMemory || !support.workers) reason = support.reason;
      else {
        try {
          return await PrivateSpace.#createThreaded(options, support);
        } catch (error) {
          reason = error instanceof Error ? error.message : String(error);
        }
      }
    }
    const memory = new WebAssembly.Memory({ initial: ARENA_BASE / PAGE_BYTES + 1 });
    const instance = await WebAssembly.instantiate(await compileKernels('single'), {
      env: { memory },
    });
    return new PrivateSpace(
      memory,
      instance.exports as unknown as KernelExports,
      undefined,
      true,
      reason,
    );
  }

  static async #createThreaded(
    options: PrivateSpaceOptions,
    support: ThreadSupport,
  ): Promise<PrivateSpace> {
    const module = await compileKernels('threads');
    let memory: WebAssembly.Memory | undefined;
    // Large shared reservations can fail on small devices: halve until one fits.
    for (let mib = options.maxMemoryMiB; !memory && mib >= 64; mib /= 2) {
      try {
        memory = new WebAssembly.Memory({
          initial: ARENA_BASE / PAGE_BYTES + 1,
          maximum: Math.floor((mib * 1024 * 1024) / PAGE_BYTES),
          shared: true,
        });
      } catch {}
    }
    if (!memory) throw new Error('could not reserve a shared WebAssembly memory');
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    Atomics.store(new Int32Array(memory.buffer), CTRL_SPIN, options.spin);
    const pool = await WorkerPool.start(support, module, memory, options.threads - 1, 0);
    return new PrivateSpace(
      memory,
      instance.exports as unknown as KernelExports,
      pool,
      support.canBlock,
      undefined,
    );
  }

  scratch(bytes: number): number {
    const top = ARENA_BASE + Math.ceil(bytes / 64) * 64;
    const have = this.memory.buffer.byteLength;
    if (top > have) {
      // Grow by at least a quarter so a growing workload does not grow every call.
      const need = Math.max(top - have, have / 4);
      try {
        this.memory.grow(Math.ceil(need / PAGE_BYTES));
      } catch (error) {
        throw new KernelMemoryError(top - have, error);
      }
      this.f32 = new Float32Array(this.memory.buffer);
      this.i32 = new Int32Array(this.memory.buffer);
    }
    return ARENA_BASE;
  }

  heapBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /**
   * Runs task `kind` on `threads` threads: workers 1… read their job at `job`, the
   * calling thread runs `mainShare` (its share somewhere else, e.g. in tfjs' heap) or
   * else thread 0's job here.
   */
  run(kind: number, job: number, threads: number, mainShare?: () => void): void {
    if (this.#disposed) throw new BackendError('the wasm kernels were disposed');
    const pool = this.#pool;
    if (!pool || threads <= 1) {
      if (mainShare) mainShare();
      else this.#exports.runTask(kind, job, 0, 1);
      return;
    }
    const nt = Math.min(threads, this.threads);
    const ctl = this.i32;
    Atomics.store(ctl, CTRL_KIND, kind);
    Atomics.store(ctl, CTRL_JOB, job);
    Atomics.store(ctl, CTRL_THREADS, nt);
    Atomics.store(ctl, CTRL_PENDING, pool.size);
    Atomics.add(ctl, CTRL_GEN, 1);
    Atomics.notify(ctl, CTRL_GEN);
    let failure: unknown;
    try {
      if (mainShare) mainShare();
      else this.#exports.runTask(kind, job, 0, nt);
    } catch (error) {
      failure = error;
    }
    // Even when our share failed, the workers are still writing: wait for them.
    this.#waitForWorkers(ctl);
    const errors = Atomics.exchange(ctl, CTRL_ERRORS, 0);
    if (failure !== undefined) throw failure;
    if (errors > 0) throw new BackendError(`a wasm kernel trapped in ${errors} worker thread(s)`);
  }

  #waitForWorkers(ctl: Int32Array): void {
    let spins = 0;
    for (;;) {
      const pending = Atomics.load(ctl, CTRL_PENDING);
      if (pending === 0) return;
      // Browsers forbid Atomics.wait on the main thread: there we only poll.
      if (this.#canBlock && ++spins > 4096) Atomics.wait(ctl, CTRL_PENDING, pending);
    }
  }

  /** Stops the workers; the space cannot run tasks afterwards. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    spaces.delete(this);
    if (this.#pool) {
      const ctl = new Int32Array(this.memory.buffer);
      Atomics.store(ctl, CTRL_QUIT, 1);
      Atomics.add(ctl, CTRL_GEN, 1);
      Atomics.notify(ctl, CTRL_GEN);
      await this.#pool.stop();
    }
  }
}
