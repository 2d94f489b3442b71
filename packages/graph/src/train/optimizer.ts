import { ValidationError } from '@kd/core';
import { adam, adamw, Optimizer } from '@kd/optim';
import * as tf from '@tensorflow/tfjs-core';

export interface OptimizerOptions {
  /**
   * `adam` (torch.optim.Adam: weight decay added to the gradient as L2, as
   * PyG's examples and Kipf & Welling use it) or `adamw` (decoupled decay).
   */
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
 * One optimisation step over a module's named parameters with @kd/optim's
 * torch-exact Adam/AdamW (state keyed by parameter name).
 */
export class ParamOptimizer {
  readonly options: Required<OptimizerOptions>;
  readonly optimizer: Optimizer;
  readonly #params: Record<string, tf.Variable>;

  constructor(params: Record<string, tf.Variable>, options: OptimizerOptions) {
    if (!(options.lr > 0)) throw new ValidationError(`lr must be > 0, got ${options.lr}`);
    // Explicit so that options given as `undefined` (unset in a recipe) take the defaults.
    this.options = {
      name: options.name,
      lr: options.lr,
      betas: options.betas ?? [0.9, 0.999],
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0,
      decay: options.decay ?? [''],
    };
    this.#params = Object.fromEntries(Object.entries(params).filter(([, v]) => v.trainable));
    const { name, lr, betas, eps, weightDecay, decay } = this.options;
    const noDecay = (n: string) => !decay.some((prefix) => n.startsWith(prefix));
    const rule =
      name === 'adamw'
        ? adamw({ lr, betas, eps, weightDecay, noDecay })
        : adam({ lr, betas, eps, weightDecay, noDecay });
    this.optimizer = new Optimizer(rule);
  }

  /** Names of the parameters weight decay applies to. */
  get decayed(): string[] {
    return Object.keys(this.#params).filter((n) => this.options.decay.some((p) => n.startsWith(p)));
  }

  /** Computes the gradients of `loss`, applies one update and returns the loss value. */
  step(loss: () => tf.Scalar): number {
    const entries = Object.entries(this.#params);
    const { value, grads } = tf.variableGrads(
      loss,
      entries.map(([, v]) => v),
    );
    const lossValue = value.dataSync()[0];
    const named: Record<string, tf.Tensor> = {};
    for (const [n, v] of entries) if (grads[v.name]) named[n] = grads[v.name];
    try {
      this.optimizer.step(this.#params, named);
    } finally {
      value.dispose();
      tf.dispose(Object.values(grads));
    }
    return lossValue;
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
