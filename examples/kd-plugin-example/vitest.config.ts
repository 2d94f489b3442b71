import { defineProject } from 'vitest/config';

// No source aliases: this package is tested as an outside user would use it.
export default defineProject({
  test: { name: 'kd-plugin-example', environment: 'node', testTimeout: 120_000 },
});
