import { BackendError } from '@kd/core';

/** A kernel's memory cannot grow to what a call needs; the kernel falls back to stock. */
export class KernelMemoryError extends BackendError {
  constructor(bytes: number, cause?: unknown) {
    super(
      `the wasm kernel memory cannot grow to hold ${bytes} more bytes`,
      cause === undefined ? {} : { cause },
    );
  }
}
