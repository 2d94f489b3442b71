import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { FormatError } from '@kd/core';
import { writeFileAtomic } from '@kd/core/node';
import type { Command } from 'commander';
import { asReportDocument, renderReport } from '../report/html.js';

/** Renders `<dir>/results.json` to `<dir>/index.html`; returns the HTML path. */
export async function writeReport(dir: string): Promise<string> {
  const jsonPath = join(resolve(dir), 'results.json');
  let json: unknown;
  try {
    json = JSON.parse(await readFile(jsonPath, 'utf8'));
  } catch (error) {
    throw new FormatError(`cannot read results: ${(error as Error).message}`, { where: jsonPath });
  }
  let doc: ReturnType<typeof asReportDocument>;
  try {
    doc = asReportDocument(json);
  } catch (error) {
    throw new FormatError((error as Error).message, { where: jsonPath });
  }
  const htmlPath = join(resolve(dir), 'index.html');
  await writeFileAtomic(htmlPath, renderReport(doc));
  return htmlPath;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description(
      'rebuild the self-contained HTML report (index.html) from a results.json directory',
    )
    .argument('<dir>', 'directory holding results.json (from `kd demo` or `kd run --out`)')
    .action(async (dir: string) => {
      process.stdout.write(`${await writeReport(dir)}\n`);
    });
}
