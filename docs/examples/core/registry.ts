// A plugin is a plain object; its entries validate their options with zod
// before `create` runs, and mistakes come back as typed errors that say what
// was expected and suggest what was meant.
import { defineEntry, definePlugin, NotFoundError, Registry, ValidationError } from '@kd/core';
import { z } from 'zod';

const plugin = definePlugin({
  meta: { name: 'my-schedules', version: '1.0.0', apiVersion: '1.0.0' },
  provides: [
    defineEntry({
      kind: 'schedule',
      id: 'inverse-sqrt',
      description: 'lr · min(1/√step, step/warmup^1.5) (Vaswani et al. 2017)',
      options: z.strictObject({
        lr: z.number().positive().describe('peak learning rate'),
        warmup: z.number().int().positive().describe('warmup steps'),
      }),
      create:
        ({ lr, warmup }) =>
        (step: number) =>
          lr * Math.sqrt(warmup) * Math.min(1 / Math.sqrt(Math.max(step, 1)), step / warmup ** 1.5),
    }),
  ],
});

// Registry.isolated() keeps this example to itself; programs use the global `registry`.
const registry = Registry.isolated();
registry.register(plugin);
registry.register(plugin); // the same object again is a no-op

const schedule = registry.create<(step: number) => number>('schedule', 'inverse-sqrt', {
  lr: 1e-3,
  warmup: 4000,
});
export const peak = schedule(4000);
console.log(`peak lr ${peak.toPrecision(3)}`); // 0.00100 at the end of warmup

export const errors: string[] = [];
try {
  registry.create('schedule', 'inverse-sqrt', { lr: 'fast' });
} catch (error) {
  if (!(error instanceof ValidationError)) throw error;
  errors.push(error.message);
}
try {
  registry.get('schedule', 'inverse-sqr');
} catch (error) {
  if (!(error instanceof NotFoundError)) throw error;
  errors.push(error.message);
}
console.log(errors.join('\n'));
// invalid options for schedule:inverse-sqrt:
//   lr: expected number, received string …
// no schedule "inverse-sqr" is registered. Did you mean "inverse-sqrt"? …
