import {
  KERNELS_WASM_HASH,
  SINGLE_WASM_BASE64,
  THREADS_WASM_BASE64,
} from '../generated/kernels-wasm.js';

/** What the kernel module exports (asm/index.ts, asm/index-threads.ts). */
export interface KernelExports {
  runTask(kind: number, job: number, tid: number, threads: number): void;
  WORK_BYTES: WebAssembly.Global;
}

export const WASM_HASH = KERNELS_WASM_HASH;

/**
 * `single` imports a plain memory, `threads` a shared one (and adds the workers'
 * loop); the compute code is the same.
 */
export type Variant = 'single' | 'threads';

const compiled = new Map<Variant, Promise<WebAssembly.Module>>();

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const s = atob(base64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Each variant is compiled once per process and shared by every instance and worker. */
export function compileKernels(variant: Variant): Promise<WebAssembly.Module> {
  let m = compiled.get(variant);
  if (!m) {
    m = WebAssembly.compile(
      decode(variant === 'single' ? SINGLE_WASM_BASE64 : THREADS_WASM_BASE64),
    );
    compiled.set(variant, m);
    m.catch(() => compiled.delete(variant));
  }
  return m;
}

/** The variant whose memory import matches `memory` (shared or not). */
export function variantFor(memory: WebAssembly.Memory): Variant {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer
    ? 'threads'
    : 'single';
}
