import { defineProject } from 'vitest/config';
import { kdSourceAliases } from '../../vitest.shared.js';

export default defineProject({
  resolve: { alias: kdSourceAliases },
  test: { name: 'core', environment: 'node', testTimeout: 60_000 },
});
