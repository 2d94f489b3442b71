import type { TensorInfo } from '@tensorflow/tfjs-core';
import { KernelMemoryError } from './errors.js';
import { compileKernels, type KernelExports, variantFor } from './module.js';
import type { Space } from './space.js';

/** The parts of tfjs-backend-wasm's BackendWasm (and its Emscripten module) used here. */
export interface BackendWasmLike {
  wasm: {
    HEAPU8: Uint8Array;
    _malloc(bytes: number): number;
    _free(ptr: number): void;
    /** The memory in tfjs' threaded builds. */
    wasmMemory?: WebAssembly.Memory;
    /** The module's exports (memory included) in its single-threaded builds. */
    asm?: { memory?: WebAssembly.Memory };
  } | null;
  getMemoryOffset(dataId: TensorInfo['dataId']): number;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  makeOutput(shape: number[], dtype: TensorInfo['dtype']): TensorInfo;
}

/** tfjs-wasm's heap as a WebAssembly.Memory, or undefined if this build hides it. */
export function tfjsMemory(backend: BackendWasmLike | undefined): WebAssembly.Memory | undefined {
  const w = backend?.wasm;
  if (!w) return undefined;
  const m = w.wasmMemory ?? w.asm?.memory;
  return m instanceof WebAssembly.Memory && m.buffer === w.HEAPU8.buffer ? m : undefined;
}

/**
 * The kernel module instantiated over tfjs-wasm's own memory: kernels read their
 * inputs and write their outputs where tfjs keeps tensors, with no copies. This is
 * safe because the module has no data segments, no stack and no globals in memory
 * (scripts/build-wasm.mjs checks), so it touches only the addresses it is given:
 * tensors tfjs allocated and a scratch block obtained from tfjs' own malloc.
 */
export class HeapSpace implements Space {
  readonly threads = 1;
  readonly backend: BackendWasmLike;
  readonly workBytes: number;
  readonly #memory: WebAssembly.Memory;
  readonly #exports: KernelExports;
  #block = 0;
  #blockBytes = 0;
  #f32: Float32Array;
  #i32: Int32Array;

  private constructor(
    backend: BackendWasmLike,
    memory: WebAssembly.Memory,
    exports: KernelExports,
  ) {
    this.backend = backend;
    this.#memory = memory;
    this.#exports = exports;
    this.workBytes = exports.WORK_BYTES.value as number;
    this.#f32 = new Float32Array(memory.buffer);
    this.#i32 = new Int32Array(memory.buffer);
  }

  /** Undefined where tfjs' memory is not reachable (the kernels then copy). */
  static async create(backend: BackendWasmLike | undefined): Promise<HeapSpace | undefined> {
    const memory = tfjsMemory(backend);
    if (!backend || !memory) return undefined;
    const module = await compileKernels(variantFor(memory));
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    return new HeapSpace(backend, memory, instance.exports as unknown as KernelExports);
  }

  #refresh(): void {
    if (this.#f32.buffer !== this.#memory.buffer) {
      this.#f32 = new Float32Array(this.#memory.buffer);
      this.#i32 = new Int32Array(this.#memory.buffer);
    }
  }

  get f32(): Float32Array {
    this.#refresh();
    return this.#f32;
  }

  get i32(): Int32Array {
    this.#refresh();
    return this.#i32;
  }

  /** Byte address of tensor `t` in this memory. */
  address(t: TensorInfo): number {
    return this.backend.getMemoryOffset(t.dataId);
  }

  scratch(bytes: number): number {
    if (bytes > this.#blockBytes) {
      const w = this.backend.wasm;
      if (!w) throw new KernelMemoryError(bytes);
      if (this.#block) w._free(this.#block);
      this.#block = 0;
      this.#blockBytes = 0;
      // Grow in steps so a slowly growing workload does not reallocate every call.
      const size = Math.max(bytes, 1 << 20);
      const block = w._malloc(size + 64) >>> 0;
      if (!block) throw new KernelMemoryError(size);
      this.#block = block;
      this.#blockBytes = size;
    }
    return Math.ceil(this.#block / 64) * 64;
  }

  run(kind: number, job: number): void {
    this.#exports.runTask(kind, job, 0, 1);
  }

  heapBytes(): number {
    return this.#blockBytes;
  }

  /** Returns the scratch block to tfjs' allocator. */
  dispose(): void {
    if (this.#block && this.backend.wasm) this.backend.wasm._free(this.#block);
    this.#block = 0;
    this.#blockBytes = 0;
  }
}
