import { AbortedError, KdError, ValidationError } from '@kd/core';

/** Exit codes: scripts can tell a bad recipe from a failed run from Ctrl-C. */
export const EXIT = {
  ok: 0,
  failure: 1,
  /** Bad arguments, options or recipe: nothing ran. */
  usage: 2,
  /** Stopped on request after saving a checkpoint (128 + SIGINT). */
  aborted: 130,
} as const;

export function exitCodeFor(error: unknown): number {
  if (error instanceof AbortedError) return EXIT.aborted;
  if (error instanceof ValidationError) return EXIT.usage;
  if (error instanceof KdError && error.code === 'KD_NOT_FOUND') return EXIT.usage;
  return EXIT.failure;
}
