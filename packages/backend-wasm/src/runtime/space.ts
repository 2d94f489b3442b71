/**
 * A memory the kernel module runs in, with a scratch block for job descriptors,
 * packing buffers and (where operands must be copied in) the operands themselves.
 */
export interface Space {
  /** Threads a task may use here, the calling thread included. */
  readonly threads: number;
  /** Views of the whole memory; replaced when it grows, so read after `scratch`. */
  readonly f32: Float32Array;
  readonly i32: Int32Array;
  /**
   * A block of at least `bytes` bytes (64-byte aligned) that stays valid until the
   * next call; returns its byte address. Throws KernelMemoryError if it cannot grow.
   */
  scratch(bytes: number): number;
  /** Runs task `kind` on the job at byte address `job`. */
  run(kind: number, job: number, threads: number): void;
  /** Bytes the space holds for kernels. */
  heapBytes(): number;
}

/** Bytes of `n` items rounded up to 64, so consecutive scratch parts stay aligned. */
export function aligned(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}
