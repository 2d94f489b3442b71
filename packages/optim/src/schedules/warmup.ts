/**
 * Hugging Face transformers' warmup schedules (`get_*_schedule_with_warmup`,
 * `get_wsd_schedule`) as values rather than multipliers: base·factor(step).
 */
import type { z } from 'zod';
import { parseWith } from '../resolve-options.js';
import type { Schedule } from '../types.js';
import { checkBase, checkStep } from './check.js';
import {
  warmupCosineScheduleOptions,
  warmupLinearScheduleOptions,
  warmupStableDecayScheduleOptions,
} from './options.js';

/**
 * Linear warmup from 0 over warmupSteps, then a cosine to minRatio·base at
 * totalSteps (HF `get_cosine_schedule_with_warmup`, or
 * `get_cosine_with_min_lr_schedule_with_warmup` with minRatio). Holds the
 * final value after totalSteps, where HF's cosine would climb back.
 */
export function warmupCosineSchedule(
  base: number,
  options: z.input<typeof warmupCosineScheduleOptions>,
): Schedule {
  const o = parseWith('schedule:warmup-cosine', warmupCosineScheduleOptions, options);
  checkBase(base);
  return (step) => {
    checkStep(step);
    if (step < o.warmupSteps) return (base * step) / Math.max(1, o.warmupSteps);
    const progress = Math.min(
      1,
      (step - o.warmupSteps) / Math.max(1, o.totalSteps - o.warmupSteps),
    );
    const cosine = 0.5 * (1 + Math.cos(Math.PI * o.numCycles * 2 * progress));
    return base * Math.max(0, cosine * (1 - o.minRatio) + o.minRatio);
  };
}

/** Linear warmup from 0, then linear decay to 0 at totalSteps (HF `get_linear_schedule_with_warmup`). */
export function warmupLinearSchedule(
  base: number,
  options: z.input<typeof warmupLinearScheduleOptions>,
): Schedule {
  const o = parseWith('schedule:warmup-linear', warmupLinearScheduleOptions, options);
  checkBase(base);
  return (step) => {
    checkStep(step);
    if (step < o.warmupSteps) return (base * step) / Math.max(1, o.warmupSteps);
    return base * Math.max(0, (o.totalSteps - step) / Math.max(1, o.totalSteps - o.warmupSteps));
  };
}

const shapes = {
  linear: (p: number) => p,
  cosine: (p: number) => 0.5 * (1 - Math.cos(Math.PI * p)),
  '1-sqrt': (p: number) => 1 - Math.sqrt(1 - p),
};

/**
 * Warmup, a stable plateau, then decay to minRatio·base (HF
 * `get_wsd_schedule`; Hägele et al. 2024). Warmup starts at minRatio·base;
 * after the decay the value stays at minRatio·base.
 */
export function warmupStableDecaySchedule(
  base: number,
  options: z.input<typeof warmupStableDecayScheduleOptions>,
): Schedule {
  const o = parseWith('schedule:warmup-stable-decay', warmupStableDecayScheduleOptions, options);
  checkBase(base);
  const scaled = (factor: number) => base * Math.max(0, factor * (1 - o.minRatio) + o.minRatio);
  return (step) => {
    checkStep(step);
    if (step < o.warmupSteps) {
      return scaled(shapes[o.warmupType](step / Math.max(1, o.warmupSteps)));
    }
    if (step < o.warmupSteps + o.stableSteps) return base;
    if (step < o.warmupSteps + o.stableSteps + o.decaySteps) {
      const p = (step - o.warmupSteps - o.stableSteps) / Math.max(1, o.decaySteps);
      const factor =
        o.decayType === 'linear'
          ? 1 - p
          : o.decayType === 'cosine'
            ? 0.5 * (1 + Math.cos(Math.PI * p))
            : 1 - Math.sqrt(p);
      return scaled(factor);
    }
    return base * o.minRatio;
  };
}
