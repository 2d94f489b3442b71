import type { TaskResult } from '@kd/core';
import { describe, expect, it } from 'vitest';
import { asReportDocument, renderReport } from '../src/report/html.js';
import { niceTicks } from '../src/report/svg.js';

const result: TaskResult = {
  task: 'optim-compare',
  title: 'Optimisers <on> SST-2',
  summary: { best: 0.8734 },
  tables: [
    {
      id: 't',
      title: 'Accuracy',
      columns: [
        { key: 'opt', label: 'optimizer', format: 'text' },
        { key: 'acc', label: 'accuracy %', format: 'pct' },
      ],
      rows: [
        { opt: 'adamw', acc: { mean: 0.8734, std: 0.0121, n: 3 } },
        { opt: 'sgd', acc: 0.5 },
      ],
    },
  ],
  plots: [
    {
      id: 'loss',
      title: 'Loss',
      kind: 'line',
      xLabel: 'step',
      yLabel: 'loss',
      lines: [
        { name: 'adamw', x: [1, 2, 3], y: [2, 1, 0.5] },
        { name: 'sgd', x: [1, 2, 3], y: [2, 1.9, 1.8] },
      ],
    },
    {
      id: 'bars',
      title: 'Accuracy',
      kind: 'bar',
      xLabel: 'optimizer',
      yLabel: 'acc',
      categories: ['adamw', 'sgd'],
      lines: [{ name: 'acc', x: [0, 1], y: [0.87, 0.5] }],
    },
  ],
  published: [{ metric: 'SST-2 acc', value: 93.5, source: 'Devlin et al. 2019', kdKey: 'best' }],
};

describe('HTML report', () => {
  it('renders tables (mean ± std, percentages), escaped text, SVG plots and published numbers', () => {
    const html = renderReport(asReportDocument(result));
    expect(html).toContain('<td class="num">87.34 ± 1.21</td>');
    expect(html).toContain('<td class="num">50.00</td>');
    expect(html).toContain('Optimisers &lt;on&gt; SST-2');
    expect(html).not.toContain('<on>');
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html.match(/<path d="M/g)).toHaveLength(2);
    expect(html.match(/<rect /g)).toHaveLength(2);
    expect(html).toContain('>adamw</text>'); // bar category label
    expect(html).toContain('Devlin et al. 2019');
    expect(html).not.toMatch(/<script|https?:\/\//);
  });

  it('rejects JSON that is not a kd result', () => {
    expect(() => asReportDocument({ hello: 1 })).toThrow(/not a kd results\.json/);
  });

  it('nice ticks cover the range with round steps', () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(3, 97)).toEqual([0, 20, 40, 60, 80, 100]);
    const t = niceTicks(0.0012, 0.0049);
    expect(t[0]).toBeLessThanOrEqual(0.0012);
    expect(t[t.length - 1]).toBeGreaterThanOrEqual(0.0049);
  });
});
