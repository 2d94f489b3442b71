import type { BackendName, Profile } from '@kd/core';
import { type Command, Option } from 'commander';
import { runDemo } from '../demo/run-demo.js';
import { DEMO_SYSTEMS } from '../demo/stages.js';
import { renderSummary } from '../demo/summary.js';
import { withInterrupt } from '../interrupt.js';
import { printJson, renderTable } from '../output.js';
import { createProgress } from '../progress.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'run every research system on bundled real data and write kd-report/ (results.json + index.html)',
    )
    .addOption(
      new Option('--only <system...>', 'only these systems').choices(
        DEMO_SYSTEMS.map((s) => s.system),
      ),
    )
    .addOption(
      new Option('--profile <profile>', 'quick (minutes) or full (hours)')
        .choices(['quick', 'full'])
        .default('quick'),
    )
    .option('--seed <n>', 'override every recipe seed', (v) => Number.parseInt(v, 10))
    .option('--out <dir>', 'report directory (rerun with the same one to resume)', 'kd-report')
    .addOption(
      new Option('--backend <name>', 'tensor backend')
        .choices(['auto', 'wasm', 'cpu', 'webgpu'])
        .default('wasm'),
    )
    .option('--threads <n>', 'threads for kernels that use them', (v) => Number.parseInt(v, 10))
    .option('--json', 'print results.json to stdout at the end')
    .action(
      async (opts: {
        only?: string[];
        profile: Profile;
        seed?: number;
        out: string;
        backend: BackendName;
        threads?: number;
        json?: boolean;
      }) => {
        const progress = createProgress(process.stderr);
        const t0 = performance.now();
        const { doc, timings } = await withInterrupt(progress, (signal) =>
          runDemo({ ...opts, progress, signal }),
        );
        if (opts.json) return printJson({ ...doc, timings });
        process.stdout.write(`\n${renderSummary(doc)}\n\n`);
        process.stdout.write(
          `${renderTable(
            ['stage', 'seconds', ''],
            timings.map((t) => [
              t.recipe,
              t.seconds.toFixed(1),
              t.reused ? '(reused from an earlier run)' : '',
            ]),
            [false, true, false],
          )}\n`,
        );
        process.stdout.write(
          `\ntotal ${((performance.now() - t0) / 1000).toFixed(1)} s · report: ${opts.out}/index.html\n`,
        );
      },
    );
}
