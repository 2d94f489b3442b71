import { definePlugin } from '@kd/core';

/** Everything @kd/data provides to the registry: `registry.register(plugin)`. */
export const plugin = definePlugin({
  meta: { name: '@kd/data', version: '0.1.0', apiVersion: '1.0.0' },
  provides: [],
});
