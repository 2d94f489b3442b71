import type { StepOptimizer } from '@kd/nn';
import type { Optimizer } from '@kd/optim';

/**
 * @kd/nn's training loops save optimizer state through `saveState` /
 * `loadState`; @kd/optim calls them `exportState` / `importState`. This
 * adapter joins the two so pretraining checkpoints resume exactly.
 */
export function stepOptimizer(optimizer: Optimizer): StepOptimizer {
  return {
    step: (params, grads) => {
      optimizer.step(params, grads);
    },
    saveState: () => optimizer.exportState(),
    loadState: (state) => {
      optimizer.importState(state);
    },
  };
}
