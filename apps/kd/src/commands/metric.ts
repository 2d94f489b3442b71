import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { FormatError, NotFoundError, registry, ValidationError } from '@kd/core';
import type { Command } from 'commander';
import { printJson, renderTable } from '../output.js';

/** What `registry.create('metric', id)` returns (see @kd/eval's Metric). */
interface MetricLike {
  compute(batch: unknown): unknown;
  accumulator(): { add(example: unknown): unknown; compute(): unknown };
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new FormatError(`not valid JSON: ${(error as Error).message}`, { where });
  }
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    throw new ValidationError(
      'no input: pass --input FILE or pipe {"predictions": [...], "references": [...]} on stdin',
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** JSON Lines: one example (`{"prediction": ..., "reference": ...}`) per line, streamed. */
async function computeJsonl(metric: MetricLike, path: string | undefined): Promise<unknown> {
  const acc = metric.accumulator();
  const input = path
    ? (await import('node:fs')).createReadStream(path, { encoding: 'utf8' })
    : process.stdin;
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    acc.add(parseJson(line, `${path ?? 'stdin'}:${n}`));
  }
  return acc.compute();
}

export function registerMetric(program: Command): void {
  program
    .command('metric')
    .argument('[id]', 'metric id (kd metric --list shows them)')
    .description(
      'compute a metric on {"predictions": ..., "references": ...} (HF evaluate names) from a file or stdin',
    )
    .option('--options <json>', 'metric options as JSON, e.g. \'{"tokenize": "intl"}\'')
    .option('--input <file>', 'read the input from this file instead of stdin')
    .option(
      '--jsonl',
      'input is JSON Lines, one {"prediction", "reference"} example per line (streamed)',
    )
    .option('--list', 'list the available metrics')
    .option('--json', 'with --list: print JSON')
    .action(
      async (
        id: string | undefined,
        opts: { options?: string; input?: string; jsonl?: boolean; list?: boolean; json?: boolean },
      ) => {
        if (opts.list) {
          const entries = registry.list('metric').map((e) => ({
            id: e.id,
            package: e.plugin.name,
            description: e.description,
          }));
          if (opts.json) return printJson(entries);
          process.stdout.write(
            `${renderTable(
              ['id', 'package', 'description'],
              entries.map((e) => [e.id, e.package, e.description]),
            )}\n`,
          );
          return;
        }
        if (!id)
          throw new ValidationError('missing metric id (kd metric --list shows the metrics)');
        if (opts.input !== undefined && !existsSync(opts.input)) {
          throw new NotFoundError(`input file ${opts.input} does not exist`);
        }
        const options = opts.options === undefined ? {} : parseJson(opts.options, '--options');
        const metric = registry.create<MetricLike>('metric', id, options);
        const jsonl = opts.jsonl ?? opts.input?.endsWith('.jsonl') ?? false;
        const result = jsonl
          ? await computeJsonl(metric, opts.input)
          : metric.compute(
              parseJson(
                opts.input ? readFileSync(opts.input, 'utf8') : await readStdin(),
                opts.input ?? 'stdin',
              ),
            );
        // JSON has no NaN: undefined values (e.g. zero_division "nan") print as null.
        printJson(result);
      },
    );
}
