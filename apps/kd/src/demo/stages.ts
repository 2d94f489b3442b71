/**
 * What `kd demo` runs: each research system's bundled recipes, in order.
 * The quick profile of each recipe is sized so the whole demo finishes in
 * well under ten minutes on two cores; `--profile full` runs the experiments as
 * reported in the packages' READMEs.
 */
export interface DemoSystem {
  system: string;
  title: string;
  recipes: string[];
}

export const DEMO_SYSTEMS: DemoSystem[] = [
  {
    system: 'distillation',
    title: 'Feature-alignment knowledge distillation (@kd/losses)',
    recipes: ['losses/kd-generative', 'losses/kd-classification'],
  },
  {
    system: 'lora',
    title: 'LoRA fine-tuning (@kd/lora)',
    recipes: ['lora/qqp', 'lora/tinystories'],
  },
  {
    system: 'optim',
    title: 'Adaptive optimisation (@kd/optim)',
    recipes: ['optim/optim-compare'],
  },
  {
    system: 'graph',
    title: 'GNN entity extraction and relation reasoning (@kd/graph)',
    recipes: ['graph/planetoid', 'graph/kg-small', 'graph/conll04'],
  },
];
