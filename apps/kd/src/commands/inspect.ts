import { formatBytes, type SafetensorsSummary, summarizeSafetensors } from '@kd/core';
import { SafetensorsFileReader } from '@kd/core/node';
import type { Command } from 'commander';
import { printJson, renderTable } from '../output.js';

const count = (n: number) => n.toLocaleString('en-US');

function render(file: string, s: SafetensorsSummary, shown: SafetensorsSummary['tensors']): string {
  const lines: string[] = [];
  lines.push(
    `${file}: ${count(s.totals.tensors)} tensors, ${count(s.totals.parameters)} parameters, ${formatBytes(s.totals.bytes)} of data (header ${count(s.headerSize)} bytes, file ${count(s.fileSize)} bytes)`,
    '',
  );
  const rows = shown.map((t) => [
    t.name,
    t.dtype,
    `[${t.shape.join(', ')}]`,
    count(t.parameters),
    formatBytes(t.bytes),
  ]);
  if (shown.length !== s.tensors.length) {
    const sub = shown.reduce((a, t) => ({ p: a.p + t.parameters, b: a.b + t.bytes }), {
      p: 0,
      b: 0,
    });
    rows.push([
      `(${shown.length} of ${s.tensors.length} shown)`,
      '',
      '',
      count(sub.p),
      formatBytes(sub.b),
    ]);
  }
  rows.push(['total', '', '', count(s.totals.parameters), formatBytes(s.totals.bytes)]);
  lines.push(
    renderTable(['name', 'dtype', 'shape', 'parameters', 'size'], rows, [
      false,
      false,
      false,
      true,
      true,
    ]),
  );
  const dtypes = Object.entries(s.byDtype);
  if (dtypes.length > 1) {
    lines.push(
      '',
      renderTable(
        ['dtype', 'tensors', 'parameters', 'size'],
        dtypes.map(([d, t]) => [d, count(t!.tensors), count(t!.parameters), formatBytes(t!.bytes)]),
        [false, true, true, true],
      ),
    );
  }
  const meta = Object.entries(s.metadata);
  lines.push('', meta.length === 0 ? '__metadata__: (none)' : '__metadata__:');
  for (const [k, v] of meta) lines.push(`  ${k}: ${v}`);
  return `${lines.join('\n')}\n`;
}

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description(
      'list the tensors of a .safetensors file: names, dtypes, shapes, parameter counts, sizes, totals and __metadata__ (reads only the header, so any size is fast)',
    )
    .argument('<file>', 'a .safetensors file')
    .option('--filter <text>', 'only tensors whose name contains this text')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { filter?: string; json?: boolean }) => {
      // Opening validates the whole header against the file length (every
      // rule of the reference reader); a corrupt file throws a FormatError.
      const reader = await SafetensorsFileReader.open(file);
      let summary: SafetensorsSummary;
      try {
        summary = summarizeSafetensors(reader.header);
      } finally {
        await reader.close();
      }
      const filter = opts.filter;
      const shown = filter
        ? summary.tensors.filter((t) => t.name.includes(filter))
        : summary.tensors;
      if (opts.json) return printJson({ file, ...summary, tensors: shown });
      process.stdout.write(render(file, summary, shown));
    });
}
