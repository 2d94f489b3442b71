import type { Progress } from '@kd/core';

/**
 * First Ctrl-C aborts the signal: the task finishes its current step, saves
 * a checkpoint and stops (rerun with the same --out to resume). A second
 * Ctrl-C exits at once.
 */
export async function withInterrupt<T>(
  progress: Progress,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    progress.log('stopping after the current step (Ctrl-C again to quit now)…');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    return await fn(controller.signal);
  } finally {
    process.off('SIGINT', onSigint);
  }
}
