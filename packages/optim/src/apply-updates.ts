import * as tf from '@tensorflow/tfjs-core';
import type { Updates } from './types.js';

/**
 * Adds updates to variables in place (optax `apply_updates` for tfjs):
 * the raw-transform loop is `[u, next] = tx.update(g, s, params)`,
 * `applyUpdates(params, u)`, `tf.dispose(Object.values(u))`,
 * `releaseState(s, next)`.
 */
export function applyUpdates(
  params: Readonly<Record<string, tf.Variable>>,
  updates: Updates,
): void {
  tf.tidy(() => {
    const values = Object.entries(updates).map(
      ([name, u]) => [params[name], tf.add(params[name], u)] as const,
    );
    for (const [v, value] of values) v.assign(value);
  });
}
