import { registry as globalRegistry, NumericError, type Registry, ValidationError } from '@kd/core';
import { z } from 'zod';

/** Progress shapes built in (TextBrewer's weight schedulers and two interpolations). */
export const PROGRESS_SCHEDULES = [
  'constant',
  'linear-decay',
  'linear-growth',
  'linear',
  'cosine',
] as const;
export type ProgressSchedule = (typeof PROGRESS_SCHEDULES)[number];

/**
 * A loss weight or temperature over training. x = step / totalSteps:
 *
 * - a number: constant;
 * - `{ value, schedule: 'linear-decay' }`: value·(1 − x) (TextBrewer `linear_decay`);
 * - `{ value, schedule: 'linear-growth' }`: value·x (TextBrewer `linear_growth`);
 * - `{ value, schedule: 'linear', end }`: from value to end;
 * - `{ value, schedule: 'cosine', end }`: cosine from value to end;
 * - `{ value, schedule: { id, options } }`: any `schedule:<id>` registry
 *   entry (@kd/optim's torch and Hugging Face schedules) with value as its
 *   base, called with the step;
 * - in code, any function `(step, totalSteps) => number`.
 */
export type ValueSchedule =
  | number
  | ((step: number, totalSteps: number) => number)
  | {
      value: number;
      schedule: ProgressSchedule | { id: string; options?: Record<string, unknown> };
      end?: number;
    };

export const valueScheduleSchema = z.union([
  z.number(),
  z.strictObject({
    value: z.number(),
    schedule: z.union([
      z.enum(PROGRESS_SCHEDULES),
      z.strictObject({
        id: z.string().min(1),
        options: z.record(z.string(), z.unknown()).optional(),
      }),
    ]),
    end: z.number().optional().describe('final value of linear / cosine'),
  }),
]);

/** Resolves a `ValueSchedule` to a function of (step, totalSteps); checks values are finite. */
export function resolveSchedule(
  spec: ValueSchedule,
  where: string,
  reg: Registry = globalRegistry,
): (step: number, totalSteps: number) => number {
  const checked =
    (f: (step: number, total: number) => number) =>
    (step: number, total: number): number => {
      const v = f(step, total);
      if (!Number.isFinite(v)) {
        throw new NumericError(`schedule gave ${v} at step ${step}`, { where });
      }
      return v;
    };
  if (typeof spec === 'number') {
    if (!Number.isFinite(spec))
      throw new ValidationError(`expected a finite number, got ${spec}`, [], { where });
    return () => spec;
  }
  if (typeof spec === 'function') return checked(spec);
  const { value, schedule } = spec;
  if (typeof schedule === 'object') {
    const factory = reg.create<(base: number) => (step: number) => number>(
      'schedule',
      schedule.id,
      schedule.options ?? {},
    );
    const f = factory(value);
    return checked((step) => f(step));
  }
  const x = (step: number, total: number) =>
    total > 0 ? Math.min(1, Math.max(0, step / total)) : 0;
  const end = spec.end ?? 0;
  switch (schedule) {
    case 'constant':
      return () => value;
    case 'linear-decay':
      return (s, t) => value * (1 - x(s, t));
    case 'linear-growth':
      return (s, t) => value * x(s, t);
    case 'linear':
      return (s, t) => value + (end - value) * x(s, t);
    case 'cosine':
      return (s, t) => end + ((value - end) * (1 + Math.cos(Math.PI * x(s, t)))) / 2;
    default:
      throw new ValidationError(`unknown schedule ${JSON.stringify(schedule)}`, [], { where });
  }
}
