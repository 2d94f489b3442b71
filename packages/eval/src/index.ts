import { definePlugin } from '@kd/core';

/** Everything @kd/eval provides to the registry: `registry.register(plugin)`. */
export const plugin = definePlugin({
  meta: { name: '@kd/eval', version: '0.1.0', apiVersion: '1.0.0' },
  provides: [],
});
