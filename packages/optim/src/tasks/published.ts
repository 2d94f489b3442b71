import type { PublishedNumber } from '@kd/core';
import type { CompareTask } from './options.js';

/**
 * Numbers from the literature for the tasks the comparison trains on. None
 * of them is kd's setting: they are pretrained models (BERT-Base, or the
 * 2-layer BERT-Tiny) fine-tuned on the full training sets, while kd trains
 * a tiny BERT from random weights on the bundled samples. They mark where
 * the tasks' ceilings are, not what the table should reach.
 */
export const PUBLISHED: Record<CompareTask, PublishedNumber[]> = {
  sst2: [
    {
      metric: 'SST-2 accuracy, BERT-Base (Adam with warmup, lr ∈ {5e-5…2e-5})',
      value: 0.935,
      source: 'Devlin et al., NAACL 2019, Table 1',
      setting:
        'GLUE test set; 110M parameters pretrained on BooksCorpus + Wikipedia; 67k training sentences',
    },
    {
      metric: 'SST-2 accuracy, BERT-Tiny (L=2, H=128)',
      value: 0.832,
      source: 'Turc et al., "Well-Read Students Learn Better", 2019 (google-research/bert README)',
      setting:
        'GLUE test set; 4.4M parameters, MLM-pretrained; best of a batch size × lr grid, 4 epochs',
    },
  ],
  rte: [
    {
      metric: 'RTE accuracy, BERT-Base',
      value: 0.664,
      source: 'Devlin et al., NAACL 2019, Table 1',
      setting: 'GLUE test set; pretrained 110M-parameter model',
    },
    {
      metric: 'RTE accuracy, BERT-Tiny (L=2, H=128)',
      value: 0.572,
      source: 'Turc et al., 2019 (google-research/bert README)',
      setting: 'GLUE test set; 4.4M parameters, MLM-pretrained',
    },
  ],
  stsb: [
    {
      metric: 'STS-B Pearson, BERT-Tiny (L=2, H=128)',
      value: 0.743,
      source: 'Turc et al., 2019 (google-research/bert README)',
      setting: 'GLUE test set; 4.4M parameters, MLM-pretrained',
    },
  ],
  squad: [
    {
      metric: 'SQuAD v1.1 dev F1, BERT-Base',
      value: 0.885,
      source: 'Devlin et al., NAACL 2019, Table 2',
      setting: 'full SQuAD v1.1 (88k training questions); pretrained 110M-parameter model',
    },
    {
      metric: 'SQuAD v1.1 dev EM, BERT-Base',
      value: 0.808,
      source: 'Devlin et al., NAACL 2019, Table 2',
      setting: 'full SQuAD v1.1; pretrained 110M-parameter model',
    },
    {
      metric: 'SQuAD v1.1 dev F1, BERT-Large pretrained with LAMB (batch 32k)',
      value: 0.91345,
      source: 'You et al., "Large Batch Optimization for Deep Learning", ICLR 2020, Table 1',
      setting: 'LAMB used for pretraining (not fine-tuning); 340M parameters',
    },
  ],
};
