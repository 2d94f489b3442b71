// Fixed addresses in the kernel module's memory, mirrored from asm/layout.ts and
// scripts/build-wasm.mjs (MEMORY_BASE).

/** Control block words (Int32Array indices; byte 64 is word 16). */
export const CTRL_GEN = 16;
export const CTRL_PENDING = 17;
export const CTRL_KIND = 18;
export const CTRL_JOB = 19;
export const CTRL_THREADS = 20;
export const CTRL_QUIT = 21;
export const CTRL_ERRORS = 22;
export const CTRL_SPIN = 23;

/** First byte the JS arena hands out. */
export const ARENA_BASE = 65536;
export const PAGE_BYTES = 65536;
