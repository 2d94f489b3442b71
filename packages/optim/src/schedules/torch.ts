/**
 * torch.optim.lr_scheduler's closed forms, as pure functions of the step
 * (`last_epoch`): the value at step 0 is the one the first update uses.
 */
import type { z } from 'zod';
import { parseWith } from '../resolve-options.js';
import type { Schedule } from '../types.js';
import { checkBase, checkStep } from './check.js';
import {
  constantScheduleOptions,
  cosineRestartsScheduleOptions,
  cosineScheduleOptions,
  exponentialScheduleOptions,
  linearScheduleOptions,
  multiStepScheduleOptions,
  polynomialScheduleOptions,
  stepScheduleOptions,
} from './options.js';

/** A schedule from its closed form `f(step)`, with the base value and step checked. */
function closedForm(base: number, f: (step: number) => number): Schedule {
  checkBase(base);
  return (step) => {
    checkStep(step);
    return f(step);
  };
}

export function constantSchedule(
  base: number,
  options?: z.input<typeof constantScheduleOptions>,
): Schedule {
  parseWith('schedule:constant', constantScheduleOptions, options);
  return closedForm(base, () => base);
}

/** torch LinearLR: base·(start + (end − start)·min(t, T)/T). */
export function linearSchedule(
  base: number,
  options?: z.input<typeof linearScheduleOptions>,
): Schedule {
  const o = parseWith('schedule:linear', linearScheduleOptions, options);
  return closedForm(
    base,
    (t) =>
      base *
      (o.startFactor + ((o.endFactor - o.startFactor) * Math.min(t, o.totalIters)) / o.totalIters),
  );
}

/**
 * torch CosineAnnealingLR: ηmin + (base − ηmin)(1 + cos(π·t/Tmax))/2. It
 * holds ηmin after Tmax, where torch's closed form would climb back.
 */
export function cosineSchedule(
  base: number,
  options: z.input<typeof cosineScheduleOptions>,
): Schedule {
  const o = parseWith('schedule:cosine', cosineScheduleOptions, options);
  return closedForm(
    base,
    (t) =>
      o.etaMin + ((base - o.etaMin) * (1 + Math.cos((Math.PI * Math.min(t, o.tMax)) / o.tMax))) / 2,
  );
}

/** torch StepLR: base·γ^⌊t/stepSize⌋. */
export function stepSchedule(base: number, options: z.input<typeof stepScheduleOptions>): Schedule {
  const o = parseWith('schedule:step', stepScheduleOptions, options);
  return closedForm(base, (t) => base * o.gamma ** Math.floor(t / o.stepSize));
}

/** torch MultiStepLR: base·γ^(milestones passed). */
export function multiStepSchedule(
  base: number,
  options: z.input<typeof multiStepScheduleOptions>,
): Schedule {
  const o = parseWith('schedule:multi-step', multiStepScheduleOptions, options);
  return closedForm(base, (t) => base * o.gamma ** o.milestones.filter((m) => m <= t).length);
}

/** torch ExponentialLR: base·γᵗ. */
export function exponentialSchedule(
  base: number,
  options: z.input<typeof exponentialScheduleOptions>,
): Schedule {
  const o = parseWith('schedule:exponential', exponentialScheduleOptions, options);
  return closedForm(base, (t) => base * o.gamma ** t);
}

/** torch PolynomialLR: base·(1 − min(t, T)/T)^power. */
export function polynomialSchedule(
  base: number,
  options?: z.input<typeof polynomialScheduleOptions>,
): Schedule {
  const o = parseWith('schedule:polynomial', polynomialScheduleOptions, options);
  return closedForm(base, (t) => base * (1 - Math.min(t, o.totalIters) / o.totalIters) ** o.power);
}

/**
 * torch CosineAnnealingWarmRestarts: cosine from base to ηmin over periods
 * T₀, T₀·Tmult, T₀·Tmult², … The period is found by exact integer
 * arithmetic (torch's `log(…, T_mult)` can land one period off at a
 * boundary through rounding).
 */
export function cosineRestartsSchedule(
  base: number,
  options: z.input<typeof cosineRestartsScheduleOptions>,
): Schedule {
  const o = parseWith('schedule:cosine-restarts', cosineRestartsScheduleOptions, options);
  return closedForm(base, (t) => {
    let period = o.t0;
    let start = 0;
    while (t >= start + period) {
      start += period;
      period *= o.tMult;
    }
    return o.etaMin + ((base - o.etaMin) * (1 + Math.cos((Math.PI * (t - start)) / period))) / 2;
  });
}
