import {
  type Cell,
  type MeanStd,
  meanStd,
  type PublishedNumber,
  type ResultPlot,
  type ResultTable,
  type TableColumn,
  type TaskResult,
} from '@kd/core';
import type { ComparisonReport } from './compare.js';
import { MAIN_METRIC, TASK_METRICS } from './evaluate.js';
import { armName, type CompareTask, settingsFor } from './options.js';
import { PUBLISHED } from './published.js';
import type { RunResult } from './train.js';

const TASK_LABEL: Record<CompareTask, string> = {
  sst2: 'SST-2',
  rte: 'RTE',
  stsb: 'STS-B',
  squad: 'SQuAD',
};
const METRIC_LABEL: Record<string, string> = {
  accuracy: 'acc %',
  f1: 'F1 %',
  exact_match: 'EM %',
  pearson: 'Pearson %',
  spearman: 'Spearman %',
};

/** Mean ± std over seeds; a diverged run counts as NaN (so the cell shows it). */
function stat(runs: readonly RunResult[], metric: string): MeanStd {
  return meanStd(runs.map((r) => (r.divergedAt === undefined ? r.metrics[metric] : Number.NaN)));
}

/** A table cell: the plain value for one seed (a "± 0" would claim a spread nobody measured). */
function cell(s: MeanStd): Cell {
  return s.n === 1 ? s.mean : s;
}

/** Mean of equal-length curves, averaged over windows of `every` steps. */
function meanCurve(curves: readonly number[][], every: number): { x: number[]; y: number[] } {
  const len = Math.min(...curves.map((c) => c.length));
  const x: number[] = [];
  const y: number[] = [];
  for (let s = 0; s + every <= len || (s < len && x.length === 0); s += every) {
    const end = Math.min(len, s + every);
    let sum = 0;
    for (const c of curves) for (let i = s; i < end; i++) sum += c[i];
    x.push(end);
    y.push(sum / (curves.length * (end - s)));
  }
  return { x, y };
}

function lrText(lr: number): string {
  return lr >= 1e-2 && lr < 100 ? String(lr) : lr.toExponential(1).replace('e-', 'e−');
}

/** The comparison as kd's result shape: tables, loss curves, wall times and published numbers. */
export function toTaskResult(report: ComparisonReport): TaskResult {
  const { options } = report;
  const arms = options.optimizers.map(armName);
  const tasks = options.tasks;
  const runsOf = (task: string, arm: string) =>
    report.runs.filter((r) => r.task === task && r.arm === arm);

  // Main table: one row per optimiser, each task's metrics mean ± std over seeds, wall time.
  const columns: TableColumn[] = [
    { key: 'optimizer', label: 'optimizer', format: 'text' },
    { key: 'lr', label: 'peak lr', format: 'text' },
  ];
  for (const t of tasks) {
    for (const m of TASK_METRICS[t]) {
      columns.push({
        key: `${t}.${m}`,
        label: `${TASK_LABEL[t]} ${METRIC_LABEL[m]}`,
        format: 'pct',
        digits: 1,
      });
    }
  }
  columns.push({ key: 'seconds', label: 'train s/run', format: 'float', digits: 1 });
  const summary: TaskResult['summary'] = {};
  const rows: Record<string, Cell>[] = arms.map((arm) => {
    const row: Record<string, Cell> = {
      optimizer: arm,
      lr: lrText(report.lrs[arm]),
    };
    const all: RunResult[] = [];
    for (const t of tasks) {
      const runs = runsOf(t, arm);
      all.push(...runs);
      for (const m of TASK_METRICS[t]) {
        const s = stat(runs, m);
        row[`${t}.${m}`] = cell(s);
        summary[`${t}.${m}.${arm}`] = s;
      }
    }
    row.seconds = all.length ? all.reduce((a, r) => a + r.trainSeconds, 0) / all.length : null;
    return row;
  });
  const majorityRow: Record<string, Cell> = { optimizer: 'majority class', lr: '—', seconds: null };
  let anyMajority = false;
  for (const t of tasks) {
    const maj = report.tasks[t]?.majority;
    for (const m of TASK_METRICS[t])
      majorityRow[`${t}.${m}`] = m === 'accuracy' && maj !== undefined ? maj : null;
    if (maj !== undefined) anyMajority = true;
  }
  for (const t of tasks) {
    const m = MAIN_METRIC[t];
    const ranked = arms
      .map((a) => [a, (summary[`${t}.${m}.${a}`] as MeanStd).mean] as const)
      .filter(([, v]) => Number.isFinite(v))
      .sort((a, b) => b[1] - a[1]);
    if (ranked.length) summary[`${t}.best`] = ranked[0][0];
  }
  const seedText =
    report.seeds.length === 1
      ? `seed ${report.seeds[0]}`
      : `mean ± std over seeds ${report.seeds.join(', ')}`;
  const tables: ResultTable[] = [
    {
      id: 'comparison',
      title: `Optimiser comparison: tiny BERT (${options.model.numHiddenLayers} layers, d=${options.model.hiddenSize}) trained from the same weights and batches, ${seedText}`,
      columns,
      rows: anyMajority ? [...rows, majorityRow] : rows,
      notes: [
        'Every arm of a (task, seed) starts from identical weights and sees the identical batch order; only the optimiser and its peak lr differ.',
        'Metrics on GLUE dev (bundled samples) and held-out SQuAD articles; "train s/run" is training time per run, evaluation excluded.',
      ],
    },
  ];

  // Per-task run details: final loss, speed, divergence.
  const detailRows: Record<string, Cell>[] = [];
  for (const t of tasks) {
    for (const arm of arms) {
      const runs = runsOf(t, arm);
      if (!runs.length) continue;
      const tail = (r: RunResult) => {
        const k = Math.max(1, Math.round(r.losses.length / 10));
        const last = r.losses.slice(-k);
        return last.length ? last.reduce((a, b) => a + b, 0) / last.length : Number.NaN;
      };
      detailRows.push({
        task: TASK_LABEL[t],
        optimizer: arm,
        finalLoss: cell(meanStd(runs.map(tail))),
        msPerStep:
          (1000 * runs.reduce((a, r) => a + r.trainSeconds, 0)) /
          Math.max(
            1,
            runs.reduce((a, r) => a + r.losses.length, 0),
          ),
        diverged: runs.filter((r) => r.divergedAt !== undefined).length,
        steps: runs[0].steps,
      });
    }
  }
  tables.push({
    id: 'runs',
    title: 'Training: final loss (mean of the last 10% of steps), ms per step, diverged runs',
    columns: [
      { key: 'task', label: 'task', format: 'text' },
      { key: 'optimizer', label: 'optimizer', format: 'text' },
      { key: 'finalLoss', label: 'final train loss', format: 'float', digits: 3 },
      { key: 'msPerStep', label: 'ms/step', format: 'float', digits: 1 },
      { key: 'steps', label: 'steps', format: 'int' },
      { key: 'diverged', label: 'diverged', format: 'int' },
    ],
    rows: detailRows,
  });

  if (report.sweep) {
    const sw = report.sweep;
    const factors = options.sweep?.factors ?? [];
    tables.push({
      id: 'sweep',
      title: `Learning-rate sweep: ${TASK_LABEL[sw.task]} ${sw.metric} on ${Math.round((options.sweep?.holdout ?? 0) * 100)}% of the training split held out (seed ${report.seeds[0]})`,
      columns: [
        { key: 'optimizer', label: 'optimizer', format: 'text' },
        ...factors.map((f, i) => ({ key: `c${i}`, label: `lr×${f}`, format: 'text' as const })),
        { key: 'chosen', label: 'chosen lr', format: 'text' },
      ],
      rows: sw.results.map((r) => ({
        optimizer: r.arm,
        ...Object.fromEntries(
          r.candidates.map((c, i) => [
            `c${i}`,
            `${lrText(c.lr)}: ${Number.isNaN(c.score) ? 'diverged' : (100 * c.score).toFixed(1)}`,
          ]),
        ),
        chosen: lrText(r.chosenLr),
      })),
    });
  }

  const plots: ResultPlot[] = [];
  for (const t of tasks) {
    const lines = arms
      .map((arm) => {
        const curves = runsOf(t, arm)
          .filter((r) => r.losses.length > 0)
          .map((r) => r.losses);
        return curves.length ? { name: arm, ...meanCurve(curves, options.logEvery) } : undefined;
      })
      .filter((l): l is NonNullable<typeof l> => l !== undefined);
    plots.push({
      id: `loss-${t}`,
      title: `${TASK_LABEL[t]} training loss (mean over seeds, ${options.logEvery}-step windows)`,
      kind: 'line',
      xLabel: 'step',
      yLabel: 'loss',
      lines,
    });
  }
  plots.push({
    id: 'wall-time',
    title: 'Training time per run (s, mean over tasks and seeds)',
    kind: 'bar',
    xLabel: 'optimizer',
    yLabel: 'seconds',
    categories: arms,
    lines: [
      {
        name: 'train s/run',
        x: arms.map((_, i) => i),
        y: rows.map((r) => (r.seconds as number) ?? 0),
      },
    ],
  });

  const published: PublishedNumber[] = tasks.flatMap((t) =>
    PUBLISHED[t].map((p) => {
      const metric = p.metric.includes(' EM') ? 'exact_match' : MAIN_METRIC[t];
      const best = summary[`${t}.best`];
      return typeof best === 'string' ? { ...p, kdKey: `${t}.${metric}.${best}` } : p;
    }),
  );

  const notes: string[] = [
    `Model: BERT encoder (${options.model.numHiddenLayers} layers, hidden ${options.model.hiddenSize}, ${options.model.numAttentionHeads} heads, FFN ${options.model.intermediateSize}) from random initialisation, bert-base-uncased WordPiece with the ${options.model.vocabSize} most frequent ids of each training split (the rest → [UNK]).`,
    `Schedule: linear warmup over ${Math.round(options.warmupFraction * 100)}% of steps then linear decay to 0 for every arm except schedule-free AdamW (its own warmup, no decay); gradient clipping at global norm ${options.clipGradNorm || 'off'}.`,
    report.sweep
      ? `Peak learning rates: chosen per optimiser by the sweep above on a held-out slice of the ${TASK_LABEL[report.sweep.task]} training split (never the reported dev split), then used for every task.`
      : 'Peak learning rates: fixed in the recipe (the full profile chooses them by a sweep on held-out training data).',
    'Published numbers are pretrained models fine-tuned on full datasets (different settings): they show the tasks’ ceilings, not targets for a from-scratch tiny model.',
  ];
  for (const t of tasks) {
    const info = report.tasks[t];
    if (!info) continue;
    const s = settingsFor(options, t);
    notes.push(
      `${TASK_LABEL[t]}: ${info.train} training ${t === 'squad' ? 'windows' : 'examples'}, ${info.eval} evaluation examples, ${s.steps} steps of batch ${s.batchSize}, max length ${s.maxLength}; ${(100 * info.unkRate).toFixed(1)}% of training tokens outside the vocabulary.`,
    );
  }
  const diverged = report.runs.filter((r) => r.divergedAt !== undefined);
  if (diverged.length) {
    notes.push(
      `Diverged (non-finite loss or gradient; counted as NaN): ${diverged.map((r) => `${r.task}/${r.arm}/seed ${r.seed} at step ${r.divergedAt}`).join(', ')}.`,
    );
  }
  return {
    task: 'optim-compare',
    title:
      'Optimiser comparison on GLUE and SQuAD (tiny BERT, identical initial weights and data order)',
    summary,
    tables,
    plots,
    published,
    notes,
  };
}
