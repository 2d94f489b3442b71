// A complete third-party plugin: one `schedule` entry, the Transformer's
// warmup then inverse-square-root learning rate (Vaswani et al. 2017, §5.3),
// usable by every @kd/optim optimizer through `schedule: { id: 'noam' }`.
import { defineEntry, definePlugin } from '@kd/core';
import { z } from 'zod';

const options = z.strictObject({
  warmupSteps: z.number().int().positive().default(4000).describe('steps of linear warmup'),
});

/** lr(step) = base · min((step+1)/warmup, √(warmup/(step+1))): peaks at `base` when warmup ends. */
export function noamSchedule(base: number, { warmupSteps }: z.output<typeof options>) {
  return (step: number): number => {
    const t = step + 1; // step 0 is the first update
    return base * Math.min(t / warmupSteps, Math.sqrt(warmupSteps / t));
  };
}

export const plugin = definePlugin({
  meta: { name: 'kd-plugin-noam', version: '1.0.0', apiVersion: '1.0.0' },
  provides: [
    defineEntry({
      kind: 'schedule',
      id: 'noam',
      description: 'linear warmup, then lr ∝ 1/√step (Vaswani et al. 2017)',
      options,
      // A schedule entry creates a factory: @kd/optim passes the optimizer's lr as `base`.
      create: (opts) => (base: number) => noamSchedule(base, opts),
    }),
  ],
});
export default plugin;
