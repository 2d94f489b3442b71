import type { PublishedNumber } from '@kd/core';

/**
 * Numbers from the literature the experiments are read against
 * (../shared/reference/optim-graph-NOTES.md §4; "unverified" marks what the
 * notes could not re-check).
 */
export const NODE_PUBLISHED: Record<
  string,
  Record<string, { value: number; std?: number; source: string }>
> = {
  cora: {
    gcn: { value: 0.815, source: 'Kipf & Welling, ICLR 2017, Table 2' },
    gat: { value: 0.83, std: 0.007, source: 'Veličković et al., ICLR 2018, Table 2' },
  },
  citeseer: {
    gcn: { value: 0.703, source: 'Kipf & Welling, ICLR 2017, Table 2' },
    gat: { value: 0.725, std: 0.007, source: 'Veličković et al., ICLR 2018, Table 2' },
  },
};

/** ConvE README (Dettmers et al., AAAI 2018) for the small sets; KGE literature for the large. */
export const KG_PUBLISHED: Record<
  string,
  { model: string; mrr: number; hits10?: number; hits1?: number; source: string; note?: string }[]
> = {
  nations: [
    {
      model: 'ConvE',
      mrr: 0.82,
      hits10: 1.0,
      hits1: 0.72,
      source: 'Dettmers et al., AAAI 2018 (TimDettmers/ConvE README)',
      note: '>95% inverse relations: a smoke test',
    },
  ],
  umls: [
    {
      model: 'ConvE',
      mrr: 0.94,
      hits10: 0.99,
      hits1: 0.92,
      source: 'Dettmers et al., AAAI 2018 (TimDettmers/ConvE README)',
    },
  ],
  kinship: [
    {
      model: 'ConvE',
      mrr: 0.83,
      hits10: 0.98,
      hits1: 0.73,
      source: 'Dettmers et al., AAAI 2018 (TimDettmers/ConvE README)',
    },
  ],
  'fb15k-237': [
    {
      model: 'RotatE',
      mrr: 0.338,
      hits10: 0.533,
      hits1: 0.241,
      source: 'Sun et al., ICLR 2019 (KnowledgeGraphEmbedding README)',
    },
    {
      model: 'R-GCN',
      mrr: 0.248,
      hits10: 0.414,
      source: 'Schlichtkrull et al., ESWC 2018 (filtered; unverified)',
    },
  ],
  wn18rr: [
    {
      model: 'RotatE',
      mrr: 0.476,
      hits10: 0.571,
      hits1: 0.428,
      source: 'Sun et al., ICLR 2019 (KnowledgeGraphEmbedding README)',
    },
  ],
};

export function nodePublished(
  dataset: string,
  model: string,
  kdKey: string,
): PublishedNumber | undefined {
  const p = NODE_PUBLISHED[dataset]?.[model];
  if (!p) return undefined;
  return {
    metric: `${dataset} test accuracy (${model.toUpperCase()})`,
    value: p.value,
    source: p.source,
    ...(p.std === undefined
      ? {}
      : {
          setting: `reported as ${(p.value * 100).toFixed(1)} ± ${(p.std * 100).toFixed(1)}% over 100 runs`,
        }),
    kdKey,
  };
}
