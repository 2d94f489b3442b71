import { ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';

export interface OptimizerOptions {
  /** `adam` (torch.optim.Adam: weight decay added to the gradient, as L2) or `adamw` (decoupled). */
  name: 'adam' | 'adamw';
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /**
   * Dotted-name prefixes of the parameters that decay (default: all). PyG's
   * GCN example and Kipf & Welling decay only the first layer: `['conv1.']`.
   */
  decay?: string[];
}

/**
 * One optimisation step over named parameters. Backed by tfjs' Adam (whose
 * update is torch's: bias-corrected moments, ε outside the square root) with
 * torch's ε = 1e-8 passed explicitly; weight decay is applied here so that it
 * follows torch's semantics for `adam` (g ← g + λθ) and `adamw`
 * (θ ← θ(1 − lr·λ) before the step).
 */
export class ParamOptimizer {
  readonly options: Required<OptimizerOptions>;
  readonly #params: [string, tf.Variable][];
  readonly #decays: Set<string>;
  readonly #opt: tf.AdamOptimizer;

  constructor(params: Record<string, tf.Variable>, options: OptimizerOptions) {
    if (!(options.lr > 0)) throw new ValidationError(`lr must be > 0, got ${options.lr}`);
    this.options = { betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, decay: [''], ...options };
    this.#params = Object.entries(params).filter(([, v]) => v.trainable);
    this.#decays = new Set(
      this.#params
        .map(([n]) => n)
        .filter((n) => this.options.decay.some((prefix) => n.startsWith(prefix))),
    );
    const [b1, b2] = this.options.betas;
    this.#opt = tf.train.adam(this.options.lr, b1, b2, this.options.eps);
  }

  /** Names of the parameters weight decay applies to. */
  get decayed(): string[] {
    return [...this.#decays];
  }

  /** Computes the gradients of `loss`, applies one update and returns the loss value. */
  step(loss: () => tf.Scalar): number {
    const vars = this.#params.map(([, v]) => v);
    const { value, grads } = tf.variableGrads(loss, vars);
    const lossValue = value.dataSync()[0];
    const { weightDecay: wd, name, lr } = this.options;
    tf.tidy(() => {
      const named: Record<string, tf.Tensor> = {};
      for (const [n, v] of this.#params) {
        const g = grads[v.name];
        if (!g) continue;
        const decays = wd > 0 && this.#decays.has(n);
        if (decays && name === 'adamw') v.assign(tf.mul(v, 1 - lr * wd));
        named[v.name] = decays && name === 'adam' ? tf.add(g, tf.mul(v, wd)) : g;
      }
      this.#opt.applyGradients(named as Parameters<tf.AdamOptimizer['applyGradients']>[0]);
    });
    value.dispose();
    tf.dispose(Object.values(grads));
    return lossValue;
  }

  dispose(): void {
    this.#opt.dispose();
  }
}
