import { ValidationError } from '@kd/core';
import type { z } from 'zod';
import { parseWith } from '../resolve-options.js';
import type { Schedule } from '../types.js';
import { checkBase, checkStep } from './check.js';
import { oneCycleScheduleOptions } from './options.js';

const annealCos = (start: number, end: number, pct: number) =>
  end + ((start - end) / 2.0) * (Math.cos(Math.PI * pct) + 1);
const annealLinear = (start: number, end: number, pct: number) => (end - start) * pct + start;

/**
 * torch OneCycleLR's learning rate, computed as torch computes it: phases
 * ending at `pctStart·T − 1` (and `2·pctStart·T − 2` with three phases) and
 * `T − 1`, from `base/divFactor` up to `base` and down to
 * `base/divFactor/finalDivFactor`. Like torch it refuses steps past
 * `totalSteps`.
 */
export function oneCycleSchedule(
  maxLr: number,
  options: z.input<typeof oneCycleScheduleOptions>,
): Schedule {
  const o = parseWith('schedule:one-cycle', oneCycleScheduleOptions, options);
  checkBase(maxLr);
  const initial = maxLr / o.divFactor;
  const min = initial / o.finalDivFactor;
  const T = o.totalSteps;
  const phases = o.threePhase
    ? [
        { end: o.pctStart * T - 1, from: initial, to: maxLr },
        { end: 2 * o.pctStart * T - 2, from: maxLr, to: initial },
        { end: T - 1, from: initial, to: min },
      ]
    : [
        { end: o.pctStart * T - 1, from: initial, to: maxLr },
        { end: T - 1, from: maxLr, to: min },
      ];
  const anneal = o.annealStrategy === 'cos' ? annealCos : annealLinear;
  return (step) => {
    checkStep(step);
    if (step > T) {
      throw new ValidationError(
        `one-cycle schedule: tried to step ${step + 1} times; the specified number of total steps is ${T}`,
      );
    }
    let start = 0;
    for (let i = 0; i < phases.length; i++) {
      const phase = phases[i];
      if (step <= phase.end || i === phases.length - 1) {
        return anneal(phase.from, phase.to, (step - start) / (phase.end - start));
      }
      start = phase.end;
    }
    /* c8 ignore next */
    throw new Error('unreachable');
  };
}
