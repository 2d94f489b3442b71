import { definePlugin } from '@kd/core';

/** Everything @kd/graph provides to the registry: `registry.register(plugin)`. */
export const plugin = definePlugin({
  meta: { name: '@kd/graph', version: '0.1.0', apiVersion: '1.0.0' },
  provides: [],
});
