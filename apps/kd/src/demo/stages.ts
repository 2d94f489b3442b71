/**
 * What `kd demo` runs: each research system's bundled recipes, in order.
 * The quick profile of each recipe is sized so the whole demo finishes in
 * about ten minutes on two cores; `--profile full` runs the experiments as
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
    recipes: ['losses/distill-generative', 'losses/distill-classification'],
  },
  {
    system: 'lora',
    title: 'LoRA fine-tuning (@kd/lora)',
    recipes: ['lora/qqp', 'lora/tinystories'],
  },
  {
    system: 'optim',
    title: 'Adaptive optimisation (@kd/optim)',
    recipes: ['optim/compare'],
  },
  {
    system: 'graph',
    title: 'GNN entity extraction and relation reasoning (@kd/graph)',
    recipes: ['graph/cora-gcn', 'graph/cora-gat', 'graph/kg-umls', 'graph/conll04-joint'],
  },
];
