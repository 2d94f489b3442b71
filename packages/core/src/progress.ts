/**
 * Progress reporting is an interface so library code can report without
 * knowing whether a TTY bar, plain log lines, a browser page or nothing is
 * listening. The CLI and the playground implement it.
 */
export interface ProgressStage {
  /** Advances by `n` units (default 1); `info` is shown beside the bar (loss, lr). */
  tick(n?: number, info?: Record<string, number | string>): void;
  /** Marks the stage finished (idempotent). */
  done(info?: Record<string, number | string>): void;
}

export interface Progress {
  /** Starts a stage of `total` units (`steps`, `epochs`, `sentences`). */
  stage(name: string, total: number, unit?: string): ProgressStage;
  /** A one-off message (shown above the bar in a TTY). */
  log(message: string): void;
}

const noopStage: ProgressStage = { tick() {}, done() {} };

/** Reports nothing: the default for library calls. */
export const silentProgress: Progress = {
  stage: () => noopStage,
  log() {},
};
