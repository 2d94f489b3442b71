import { Registry, ValidationError } from '@kd/core';
import { describe, expect, it } from 'vitest';
import {
  constantSchedule,
  cosineRestartsSchedule,
  cosineSchedule,
  exponentialSchedule,
  joinSchedules,
  linearSchedule,
  multiStepSchedule,
  oneCycleSchedule,
  plugin,
  polynomialSchedule,
  type ScheduleFactory,
  stepSchedule,
  warmupCosineSchedule,
  warmupLinearSchedule,
  warmupStableDecaySchedule,
} from '../src/index.js';

/** Expected values are worked out by hand from the torch / HF definitions cited on each. */
const at = (s: (t: number) => number, steps: number[]) => steps.map((t) => s(t));
const close = (got: number[], want: number[], digits = 12) => {
  got.forEach((g, i) => {
    expect(g, `index ${i}`).toBeCloseTo(want[i], digits);
  });
};

describe('torch OneCycleLR, computed as torch computes it', () => {
  // total 10, pct_start 0.3: phase ends float(0.3·10) − 1 = 2.0000000000000004 and 9;
  // initial = 1/25 = 0.04, min = 0.04/1e4 = 4e-6.
  const s = oneCycleSchedule(1, { totalSteps: 10 });
  it('rises from max/divFactor to max, then anneals to max/divFactor/finalDivFactor', () => {
    close(at(s, [0, 1, 2, 9]), [0.04, 0.52, 1, 4e-6], 10);
    const phase2 = (t: number) => 4e-6 + ((1 - 4e-6) / 2) * (Math.cos((Math.PI * (t - 2)) / 7) + 1);
    close(at(s, [3, 5, 8]), [3, 5, 8].map(phase2), 9);
  });
  it('extrapolates at step totalSteps and refuses to go further, like torch', () => {
    expect(s(10)).toBeCloseTo(4e-6 + ((1 - 4e-6) / 2) * (Math.cos((Math.PI * 8) / 7) + 1), 9);
    expect(() => s(11)).toThrow(ValidationError);
    expect(() => s(11)).toThrow(
      /tried to step 12 times; the specified number of total steps is 10/,
    );
  });
  it('three phases and linear annealing', () => {
    const three = oneCycleSchedule(1, { totalSteps: 10, threePhase: true });
    close(at(three, [0, 2, 3, 4, 9]), [0.04, 1, 0.52, 0.04, 4e-6], 9);
    const linear = oneCycleSchedule(2, { totalSteps: 10, annealStrategy: 'linear' });
    close(at(linear, [1, 5]), [(2 - 0.08) * 0.5 + 0.08, (8e-6 - 2) * (3 / 7) + 2], 9);
  });
});

describe('torch closed forms', () => {
  it('LinearLR', () => close(at(linearSchedule(1), [0, 2, 5, 10]), [1 / 3, 0.6, 1, 1]));
  it('CosineAnnealingLR (held at etaMin after tMax)', () =>
    close(at(cosineSchedule(1, { tMax: 10, etaMin: 0.1 }), [0, 5, 10, 15]), [1, 0.55, 0.1, 0.1]));
  it('StepLR', () =>
    close(
      at(stepSchedule(1, { stepSize: 3, gamma: 0.5 }), [0, 2, 3, 5, 6]),
      [1, 1, 0.5, 0.5, 0.25],
    ));
  it('MultiStepLR', () =>
    close(
      at(multiStepSchedule(1, { milestones: [2, 5] }), [0, 1, 2, 4, 5, 9]),
      [1, 1, 0.1, 0.1, 0.01, 0.01],
    ));
  it('ExponentialLR', () => close(at(exponentialSchedule(1, { gamma: 0.9 }), [0, 3]), [1, 0.729]));
  it('PolynomialLR', () =>
    close(at(polynomialSchedule(1, { totalIters: 4, power: 2 }), [0, 1, 4, 9]), [1, 0.5625, 0, 0]));
  it('CosineAnnealingWarmRestarts with T_mult 2: periods 10, 20, 40', () =>
    close(at(cosineRestartsSchedule(1, { t0: 10, tMult: 2 }), [0, 5, 10, 20, 29, 30, 70]), [
      1,
      0.5,
      1,
      0.5,
      (1 + Math.cos((Math.PI * 19) / 20)) / 2,
      1,
      1,
    ]));
  it('constant', () => close(at(constantSchedule(0.3), [0, 100]), [0.3, 0.3]));
});

describe('Hugging Face warmup schedules', () => {
  it('warmup + cosine (get_cosine_schedule_with_warmup), held after totalSteps', () => {
    const s = warmupCosineSchedule(2, { warmupSteps: 10, totalSteps: 110 });
    close(at(s, [0, 5, 10, 60, 110, 200]), [0, 1, 2, 1, 0, 0]);
    const floor = warmupCosineSchedule(2, { warmupSteps: 10, totalSteps: 110, minRatio: 0.1 });
    close(at(floor, [60, 110]), [2 * (0.5 * 0.9 + 0.1), 0.2]);
  });
  it('warmup + linear decay (get_linear_schedule_with_warmup)', () =>
    close(
      at(warmupLinearSchedule(1, { warmupSteps: 10, totalSteps: 110 }), [5, 10, 60, 110, 150]),
      [0.5, 1, 0.5, 0, 0],
    ));
  it('warmup-stable-decay (get_wsd_schedule)', () => {
    const o = { warmupSteps: 10, stableSteps: 20, decaySteps: 10, minRatio: 0.1 };
    close(
      at(warmupStableDecaySchedule(1, o), [0, 5, 10, 29, 30, 35, 40, 99]),
      [0.1, 0.55, 1, 1, 1, 0.55, 0.1, 0.1],
    );
    const sqrt = warmupStableDecaySchedule(1, { ...o, decayType: '1-sqrt' });
    close(at(sqrt, [35]), [(1 - Math.sqrt(0.5)) * 0.9 + 0.1]);
  });
});

describe('composition and validation', () => {
  it('joins schedules, each restarted at its boundary', () => {
    const s = joinSchedules(
      [constantSchedule(0.5), linearSchedule(1, { startFactor: 0.5, totalIters: 2 })],
      [3],
    );
    close(at(s, [0, 2, 3, 4, 5, 9]), [0.5, 0.5, 0.5, 0.75, 1, 1]);
    expect(() => joinSchedules([constantSchedule(1)], [3])).toThrow(ValidationError);
  });
  it('refuses bad options and steps', () => {
    expect(() => oneCycleSchedule(1, { totalSteps: 0 })).toThrow(
      /totalSteps: expected number >= 1/,
    );
    expect(() => cosineSchedule(-1, { tMax: 3 })).toThrow(/base value must be >= 0/);
    expect(() => stepSchedule(1, { stepSize: 2, gama: 0.5 } as never)).toThrow(
      /unknown option "gama"/,
    );
    expect(() => constantSchedule(1)(-1)).toThrow(/step must be a finite number >= 0/);
  });
  it('registry entries create factories of the base value', () => {
    const reg = Registry.isolated();
    reg.register(plugin);
    expect(reg.list('schedule').map((e) => e.id)).toEqual([
      'constant',
      'cosine',
      'cosine-restarts',
      'exponential',
      'linear',
      'multi-step',
      'one-cycle',
      'polynomial',
      'step',
      'warmup-cosine',
      'warmup-linear',
      'warmup-stable-decay',
    ]);
    const factory = reg.create<ScheduleFactory>('schedule', 'one-cycle', { totalSteps: 10 });
    expect(factory(2)(2)).toBeCloseTo(2, 9);
    expect(() => reg.create('schedule', 'warmup-cosine', { warmupSteps: 1 })).toThrow(/totalSteps/);
  });
});
