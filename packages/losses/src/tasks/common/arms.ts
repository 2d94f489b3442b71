import { type EntryRef, entryRef, type MeanStd, meanStd, type Registry } from '@kd/core';
import { z } from 'zod';
import type { DistillTermSpec } from '../../distiller.js';
import { layerMapSchema } from '../../layer-map.js';
import { valueScheduleSchema } from '../../schedules.js';

/** A distillation term as a recipe writes it (the loss validated against the registry). */
export function termSchema(reg?: Registry) {
  return z.strictObject({
    name: z.string().min(1).optional(),
    loss: entryRef('loss', reg),
    weight: valueScheduleSchema.optional(),
    temperature: valueScheduleSchema.optional(),
    layers: layerMapSchema.optional(),
    projection: z.enum(['auto', 'always', 'none']).optional(),
    sharedProjection: z.boolean().optional(),
    layerReduction: z.enum(['sum', 'mean']).optional(),
  });
}

export type TermInput = z.output<ReturnType<typeof termSchema>>;

/** One arm of an experiment: a name and its objective. */
export function armSchema(reg?: Registry) {
  return z.strictObject({
    name: z.string().min(1),
    terms: z.array(termSchema(reg)).min(1),
  });
}
export type ArmInput = z.output<ReturnType<typeof armSchema>>;

export function toTermSpec(t: TermInput): DistillTermSpec {
  const loss = t.loss as EntryRef;
  return {
    ...t,
    loss: { id: loss.id, options: loss.options as Record<string, unknown> },
  } as DistillTermSpec;
}

/** Per-arm aggregation over seeds: metric → MeanStd. */
export function aggregate(
  runs: { arm: string; metrics: Record<string, number> }[],
  arms: readonly string[],
): Record<string, Record<string, MeanStd>> {
  const out: Record<string, Record<string, MeanStd>> = {};
  for (const arm of arms) {
    const mine = runs.filter((r) => r.arm === arm);
    const keys = [...new Set(mine.flatMap((r) => Object.keys(r.metrics)))];
    out[arm] = Object.fromEntries(keys.map((k) => [k, meanStd(mine.map((r) => r.metrics[k]))]));
  }
  return out;
}

/** Mean over seeds of each arm's per-step loss, thinned to ≤ 200 points. */
export function meanCurves(
  runs: { arm: string; losses: number[] }[],
  arms: readonly string[],
): { name: string; x: number[]; y: number[] }[] {
  return arms.map((arm) => {
    const mine = runs.filter((r) => r.arm === arm);
    const n = Math.min(...mine.map((r) => r.losses.length));
    const every = Math.max(1, Math.ceil(n / 200));
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < n; i += every) {
      x.push(i);
      y.push(mine.reduce((a, r) => a + r.losses[i], 0) / mine.length);
    }
    return { name: arm, x, y };
  });
}

/** Each term of one arm (unweighted), mean over seeds: the per-term log as a plot. */
export function termCurves(
  runs: { arm: string; terms?: Record<string, number[]> }[],
  arm: string,
): {
  id: string;
  title: string;
  kind: 'line';
  xLabel: string;
  yLabel: string;
  logY: boolean;
  lines: { name: string; x: number[]; y: number[] }[];
} {
  const mine = runs.filter((r) => r.arm === arm && r.terms);
  const names = Object.keys(mine[0]?.terms ?? {});
  const lines = names.map((name) => {
    const series = mine.map((r) => (r.terms as Record<string, number[]>)[name]);
    const n = Math.min(...series.map((s) => s.length));
    const every = Math.max(1, Math.ceil(n / 200));
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < n; i += every) {
      x.push(i);
      y.push(series.reduce((a, s) => a + s[i], 0) / series.length);
    }
    return { name, x, y };
  });
  return {
    id: 'terms',
    title: `Each loss term of “${arm}” (unweighted), mean over seeds`,
    kind: 'line',
    xLabel: 'step',
    yLabel: 'term value',
    logY: true,
    lines,
  };
}

/** `+ output KD` → `output_kd`: an arm name as a summary key. */
export function slug(arm: string): string {
  return arm
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
}
