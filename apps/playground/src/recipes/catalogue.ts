// The recipes the playground offers: bundled recipe files of the feature
// packages, run with their quick profile. The texts are imported by Vite
// (`sources.ts`); this file is plain data so Node tests can use it too.

export interface PlaygroundRecipe {
  /** Stable id, used in the page's URL (`?recipe=cora-gcn`). */
  id: string;
  title: string;
  /** One paragraph for the page. */
  summary: string;
  /** `<package>/<file>` under that package's `recipes/` folder. */
  file: `${'graph' | 'lora' | 'losses'}/${string}`;
  /**
   * Overrides prefilled in the page's box (deep-merged over the quick
   * profile): what fits a browser tab in a minute or so. Empty when the quick
   * profile already does.
   */
  suggested?: string;
  /** The task trains LoRA adapters the page offers for download. */
  adapters?: boolean;
}

export const RECIPES: readonly PlaygroundRecipe[] = [
  {
    id: 'distil-stories',
    title: 'Distil stories260K',
    summary:
      "Karpathy's pretrained 260K-parameter TinyStories Llama teaches a Llama of a quarter its size on stories it samples itself: hard labels against output KD against output KD plus hidden-state and attention alignment, scored by perplexity and by BLEU/ROUGE/CER of greedy continuations against the teacher's, from @kd/losses.",
    file: 'losses/kd-generative.yaml',
  },
  {
    id: 'cora-gcn',
    title: 'Cora GCN',
    summary:
      'Node classification on the Cora citation graph (public Planetoid split: 140 labelled papers, 1,000 test papers) with a two-layer GCN (Kipf & Welling) and a GAT, full-batch, from @kd/graph.',
    file: 'graph/planetoid.yaml',
  },
  {
    id: 'lora-stories',
    title: 'LoRA-tune stories260K',
    summary:
      "Adapt Karpathy's 260K-parameter TinyStories Llama to Tiny Shakespeare with LoRA adapters on every linear layer against full fine-tuning, scored by held-out perplexity, from @kd/lora. The trained adapters download as PEFT files.",
    file: 'lora/tinystories.yaml',
    adapters: true,
  },
];

export function findRecipe(id: string): PlaygroundRecipe | undefined {
  return RECIPES.find((r) => r.id === id);
}
