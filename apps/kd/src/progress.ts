import type { Progress, ProgressStage } from '@kd/core';

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

function formatInfo(info?: Record<string, number | string>): string {
  if (!info) return '';
  return Object.entries(info)
    .map(
      ([k, v]) =>
        `${k}=${typeof v === 'number' ? (Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v * 100) / 100) : v.toPrecision(4)) : v}`,
    )
    .join(' ');
}

/**
 * A progress bar with rate and ETA on a TTY (redrawn at most every 100 ms),
 * plain timestamped lines otherwise (one at start, about every 10 %, at end),
 * so logs in CI stay readable. Everything goes to stderr: stdout is for
 * results and `--json`.
 */
export function createProgress(
  stream: NodeJS.WriteStream = process.stderr,
  options: { tty?: boolean; quiet?: boolean } = {},
): Progress {
  const tty = options.tty ?? Boolean(stream.isTTY);
  const write = (s: string) => {
    if (!options.quiet) stream.write(s);
  };
  let active: { clear(): void } | undefined;
  return {
    log(message) {
      active?.clear();
      write(`${message}\n`);
    },
    stage(name, total, unit = 'steps'): ProgressStage {
      const start = Date.now();
      let done = 0;
      let lastDraw = 0;
      let lastDecile = -1;
      let finished = false;
      let info: Record<string, number | string> | undefined;
      const line = () => {
        const elapsed = (Date.now() - start) / 1000;
        const rate = done / Math.max(elapsed, 1e-9);
        const eta = done > 0 ? (total - done) / rate : Number.NaN;
        const pct = total > 0 ? Math.min(1, done / total) : 1;
        return { elapsed, rate, eta, pct };
      };
      const draw = (force = false) => {
        const now = Date.now();
        const { elapsed, rate, eta, pct } = line();
        if (tty) {
          if (!force && now - lastDraw < 100) return;
          lastDraw = now;
          const width = 24;
          const filled = Math.round(pct * width);
          const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
          const text = `${name} ${bar} ${done}/${total} ${unit} ${(pct * 100).toFixed(0)}% ${formatDuration(elapsed)}<${formatDuration(eta)} ${rate.toFixed(rate < 10 ? 2 : 0)}/s ${formatInfo(info)}`;
          const cols = stream.columns ?? 120;
          write(`\r\x1b[2K${text.slice(0, cols - 1)}`);
        } else {
          const decile = Math.floor(pct * 10);
          if (!force && decile === lastDecile) return;
          lastDecile = decile;
          write(
            `[${formatDuration(elapsed)}] ${name}: ${done}/${total} ${unit} (${(pct * 100).toFixed(0)}%, eta ${formatDuration(eta)}) ${formatInfo(info)}`.trimEnd() +
              '\n',
          );
        }
      };
      active = { clear: () => tty && write('\r\x1b[2K') };
      draw(true);
      return {
        tick(n = 1, i) {
          if (finished) return;
          done += n;
          if (i) info = i;
          draw();
        },
        done(i) {
          if (finished) return;
          finished = true;
          if (i) info = i;
          done = Math.max(done, total);
          if (tty) {
            draw(true);
            write('\n');
          } else {
            write(
              `[${formatDuration((Date.now() - start) / 1000)}] ${name}: done ${formatInfo(info)}`.trimEnd() +
                '\n',
            );
          }
          active = undefined;
        },
      };
    },
  };
}
