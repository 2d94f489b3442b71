import { defineProject } from 'vitest/config';
import { kdSourceAliases } from '../../vitest.shared.js';

export default defineProject({
  resolve: { alias: kdSourceAliases },
  test: {
    name: 'backend-wasm',
    environment: 'node',
    testTimeout: 120_000,
    // Compiles asm/ into src/generated/ when it is missing or stale.
    globalSetup: ['./test/global-setup.ts'],
  },
});
