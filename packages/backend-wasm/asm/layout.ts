// Fixed addresses in the kernel module's memory, mirrored in src/runtime/layout.ts.
// Everything below DATA_BASE belongs to the module; the JS arena starts at ARENA_BASE.

/** Control block shared by the main thread and the workers (i32 words). */
export const CTRL: usize = 64;
/** Bumped by the main thread to publish a new task. */
export const CTRL_GEN: usize = CTRL;
/** Workers still running the current task. */
export const CTRL_PENDING: usize = CTRL + 4;
/** Which task (see tasks.ts) and where its job descriptor lives. */
export const CTRL_KIND: usize = CTRL + 8;
export const CTRL_JOB: usize = CTRL + 12;
/** Threads taking part, main thread included. */
export const CTRL_THREADS: usize = CTRL + 16;
/** Set to 1 to make every worker return from its loop. */
export const CTRL_QUIT: usize = CTRL + 20;
/** Incremented by a worker whose share trapped. */
export const CTRL_ERRORS: usize = CTRL + 24;
/** Polls of CTRL_GEN before a worker sleeps. */
export const CTRL_SPIN: usize = CTRL + 28;
