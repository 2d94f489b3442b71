import { defineProject } from 'vitest/config';
import { kdSourceAliases } from '../../vitest.shared.js';

export default defineProject({
  resolve: { alias: kdSourceAliases },
  test: { name: 'backend-webgpu', environment: 'node', testTimeout: 120_000 },
});
