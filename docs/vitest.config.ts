import { defineProject } from 'vitest/config';

// No source aliases: the examples run against the packages' built dist/, as a
// user who installed them would (turbo builds the dependencies first).
export default defineProject({
  test: {
    name: 'docs',
    environment: 'node',
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 120_000,
  },
});
