import type { KernelProvider } from '@kd/core';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import type { KernelContext, KernelCounters } from './kernels/context.js';
import { binaryConfigs, unaryConfigs } from './kernels/elementwise.js';
import { gatherConfigs } from './kernels/gather.js';
import { batchMatMulConfig, fusedMatMulConfig } from './kernels/matmul.js';
import { reduceConfigs } from './kernels/reduce.js';
import { type BackendWasmLike, HeapSpace } from './runtime/heap-space.js';
import { WASM_HASH } from './runtime/module.js';
import { PrivateSpace } from './runtime/private-space.js';

export interface WasmKernelOptions {
  /** Times an idle worker polls for the next task before it sleeps (0: sleep at once). */
  spin: number;
  /** Upper bound of the kernels' shared memory in threaded mode, MiB. */
  maxMemoryMiB: number;
  /** Below this many floating-point operations a kernel runs on one thread. */
  minParallelFlops: number;
  /**
   * Run in tfjs' own heap where it is reachable (default). false makes every product
   * copy its operands into the kernels' memory and drops the memory-bound kernels,
   * which only pay off without copies: for measuring what the copies cost.
   */
  zeroCopy: boolean;
  /** Install only these kernels (default: all). */
  only?: string[] | undefined;
}

export const DEFAULT_OPTIONS: WasmKernelOptions = {
  spin: 20_000,
  maxMemoryMiB: 2048,
  minParallelFlops: 2_000_000,
  zeroCopy: true,
};

type ConfigFactory = (ctx: KernelContext) => KernelConfig[];

/**
 * Every kernel this package installs, grouped by what they need: the GEMMs run
 * anywhere (in tfjs' heap or, copied, in the kernels' own memory with threads); the
 * memory-bound rest only pays off without copies, so only where tfjs' heap is
 * reachable.
 */
const GEMM: readonly ConfigFactory[] = [(c) => [batchMatMulConfig(c), fusedMatMulConfig(c)]];
const HEAP: readonly ConfigFactory[] = [binaryConfigs, unaryConfigs, reduceConfigs, gatherConfigs];

/** Names of the kernels the provider installs on the wasm backend (where tfjs' heap is reachable). */
export const KERNEL_NAMES: readonly string[] = [
  'BatchMatMul',
  '_FusedMatMul',
  'Add',
  'Sub',
  'Multiply',
  'RealDiv',
  'Exp',
  'Erf',
  'Sqrt',
  'Rsqrt',
  'Square',
  'Neg',
  'Sum',
  'Mean',
  'GatherV2',
  'UnsortedSegmentSum',
  'Transpose',
  'Identity',
  'Cast',
];

/**
 * The `kernel` registry entry's product. When initBackend asks for kernels it
 * instantiates the module over tfjs-wasm's heap and, for threads > 1, starts the
 * worker pool with its shared memory; dispose stops the workers and returns the
 * scratch memory. Asking again replaces both.
 */
export class WasmKernelProvider implements KernelProvider {
  readonly backend = 'wasm';
  readonly #options: WasmKernelOptions;
  #heap: HeapSpace | undefined;
  #pool: PrivateSpace | undefined;
  #counters = new Map<string, KernelCounters>();
  #unavailable: string | undefined;
  #requested = 1;
  #installed: string[] = [];

  constructor(options: Partial<WasmKernelOptions> = {}) {
    this.#options = { ...DEFAULT_OPTIONS, ...options };
  }

  async kernels({ threads }: { threads: number }): Promise<KernelConfig[]> {
    await this.dispose();
    this.#requested = threads;
    this.#installed = [];
    const backend = (tf.findBackend('wasm') ?? undefined) as unknown as BackendWasmLike | undefined;
    try {
      this.#heap = this.#options.zeroCopy ? await HeapSpace.create(backend) : undefined;
      if (threads > 1 || !this.#heap) {
        this.#pool = await PrivateSpace.create({
          threads,
          spin: this.#options.spin,
          maxMemoryMiB: this.#options.maxMemoryMiB,
        });
      }
    } catch (error) {
      // No WebAssembly SIMD here: leave tfjs' kernels in place and say why.
      await this.dispose();
      this.#unavailable = error instanceof Error ? error.message : String(error);
      return [];
    }
    this.#unavailable = undefined;
    const heap = this.#heap;
    // The kernels we replace, captured before initBackend installs ours over them.
    const stock = new Map<string, KernelConfig>();
    for (const name of KERNEL_NAMES) {
      const k = tf.getKernel(name, 'wasm');
      if (k) stock.set(name, k);
    }
    const ctx: KernelContext = {
      heap: (b) => (heap && heap.backend === b ? heap : undefined),
      pool: this.#pool,
      stock: (name) => stock.get(name)?.kernelFunc as KernelFunc | undefined,
      minParallelFlops: this.#options.minParallelFlops,
      counters: (name) => {
        let c = this.#counters.get(name);
        if (!c) this.#counters.set(name, (c = { calls: 0, fallbacks: 0, threaded: 0 }));
        return c;
      },
    };
    const only = this.#options.only;
    const configs = [...GEMM, ...(heap ? HEAP : [])]
      .flatMap((make) => make(ctx))
      .filter((k) => !only || only.includes(k.kernelName));
    this.#installed = configs.map((k) => k.kernelName);
    return configs.map((config) => {
      const name = config.kernelName;
      // Keep the stock kernel's setup so a backend re-initialisation still prepares
      // what the fallback path calls into.
      const setupFunc = stock.get(name)?.setupFunc;
      return setupFunc ? { ...config, setupFunc } : config;
    });
  }

  describe(): Record<string, string | number | boolean> {
    if (!this.#heap && !this.#pool) {
      return { active: false, ...(this.#unavailable ? { reason: this.#unavailable } : {}) };
    }
    const reason = this.#pool?.reason;
    return {
      active: true,
      threads: this.#pool?.threads ?? 1,
      requestedThreads: this.#requested,
      zeroCopy: Boolean(this.#heap),
      simd: true,
      kernels: this.#installed.length,
      heapBytes: this.heapBytes(),
      wasm: WASM_HASH,
      ...(reason ? { reason } : {}),
    };
  }

  /** Calls, stock fallbacks and threaded calls per kernel since the provider was created. */
  stats(): Record<string, KernelCounters> {
    return Object.fromEntries([...this.#counters].map(([k, v]) => [k, { ...v }]));
  }

  /** Bytes the kernels hold now: scratch in tfjs' heap plus their own memory. */
  heapBytes(): number {
    return (this.#heap?.heapBytes() ?? 0) + (this.#pool?.heapBytes() ?? 0);
  }

  async dispose(): Promise<void> {
    const heap = this.#heap;
    const pool = this.#pool;
    this.#heap = undefined;
    this.#pool = undefined;
    heap?.dispose();
    await pool?.dispose();
  }
}
