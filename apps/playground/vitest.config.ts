import { defineProject } from 'vitest/config';
import { kdSourceAliases } from '../../vitest.shared.js';

export default defineProject({
  resolve: { alias: kdSourceAliases },
  test: {
    name: 'playground',
    environment: 'node',
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // The browser suites share the machine's two cores with Chromium: one file at a time.
    fileParallelism: false,
    globalSetup: ['test/global-setup.ts'],
  },
});
