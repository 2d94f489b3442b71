import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import * as evalModule from '../src/index.js';

/**
 * The README's first ```js example runs as written (its `import { … } from
 * '@kd/eval'` is bound to this package's sources), so the documentation
 * cannot drift from the API.
 */
it('the README example runs and prints the documented values', async () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const block = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(block).toBeDefined();
  const importMatch = /import \{([\s\S]*?)\} from '@kd\/eval';\n/.exec(block!);
  expect(importMatch).not.toBeNull();
  const names = importMatch![1]
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const body = block!.replace(importMatch![0], '');
  const logs: unknown[] = [];
  const fakeConsole = { log: (v: unknown) => logs.push(v) };
  const mod = evalModule as Record<string, unknown>;
  for (const n of names) expect(mod[n], `README imports ${n}`).toBeDefined();
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
  await new AsyncFunction('console', ...names, body)(fakeConsole, ...names.map((n) => mod[n]));
  expect(logs.length).toBe(15);
  expect(logs[5]).toBeCloseTo(0.26666666666666666, 12);
  expect(logs[6]).toBeCloseTo(-1 / 3, 12);
  expect(logs[7]).toBe(0.75);
  expect(logs[8]).toEqual({ exact_match: 100, f1: 100 });
  expect(logs[11]).toBe(1);
  expect(logs[12]).toBe(1);
  expect((logs[13] as { mr: number }).mr).toBe(1.5);
});
