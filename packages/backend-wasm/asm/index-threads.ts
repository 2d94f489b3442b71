// Entry of the threaded module (shared memory): the single-threaded exports plus the
// loop each worker runs.
import {
  CTRL_ERRORS,
  CTRL_GEN,
  CTRL_JOB,
  CTRL_KIND,
  CTRL_PENDING,
  CTRL_QUIT,
  CTRL_SPIN,
  CTRL_THREADS,
} from './layout';
import { runTask } from './tasks';

export { WORK_BYTES } from './gemm';
export { runTask } from './tasks';

/**
 * Worker `tid`'s loop: wait for the generation counter to move past `seen`, run the
 * published task's share, count down CTRL_PENDING (waking the main thread at zero),
 * repeat until CTRL_QUIT. Polls a little before sleeping so back-to-back kernels do
 * not pay a futex wake-up each. Returns the last generation seen, so the JS wrapper
 * can re-enter after a trap.
 */
export function workerLoop(tid: i32, seen: i32): i32 {
  while (true) {
    let spins = atomic.load<i32>(CTRL_SPIN);
    while (atomic.load<i32>(CTRL_GEN) === seen) {
      if (atomic.load<i32>(CTRL_QUIT) !== 0) return seen;
      if (spins > 0) {
        spins--;
      } else {
        memory.atomic.wait32(CTRL_GEN, seen, -1);
      }
    }
    seen = atomic.load<i32>(CTRL_GEN);
    if (atomic.load<i32>(CTRL_QUIT) !== 0) return seen;
    const nt = atomic.load<i32>(CTRL_THREADS);
    if (tid < nt) runTask(atomic.load<i32>(CTRL_KIND), <usize>atomic.load<i32>(CTRL_JOB), tid, nt);
    if (atomic.sub<i32>(CTRL_PENDING, 1) === 1) atomic.notify(CTRL_PENDING, 1);
  }
}

/** Marks the current task failed (called from JS after a trap in runTask). */
export function reportError(): void {
  atomic.add<i32>(CTRL_ERRORS, 1);
  if (atomic.sub<i32>(CTRL_PENDING, 1) === 1) atomic.notify(CTRL_PENDING, 1);
}
