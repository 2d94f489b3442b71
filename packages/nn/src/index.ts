import { definePlugin } from '@kd/core';

/** Everything @kd/nn provides to the registry: `registry.register(plugin)`. */
export const plugin = definePlugin({
  meta: { name: '@kd/nn', version: '0.1.0', apiVersion: '1.0.0' },
  provides: [],
});
