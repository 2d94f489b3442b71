import { defineEntry } from '@kd/core';
import { z } from 'zod';
import { GLUE_TASKS, type GlueSplit, type GlueTask } from '../readers/glue.js';
import type {
  Conll04Handle,
  GlueHandle,
  KnowledgeGraphHandle,
  NerHandle,
  PlanetoidHandle,
  SquadHandle,
  TextHandle,
} from './handles.js';
import {
  type KgName,
  loadConll04,
  loadGlue,
  loadKnowledgeGraph,
  loadPlanetoid,
  loadSquad,
  loadTinyShakespeare,
  loadUnerEnEwt,
  loadWikiText2,
  loadWnut17,
  type Split,
} from './loaders.js';
import { type DataSource, sourceOf } from './source.js';

/** Every dataset entry takes an optional folder; without it the bundled sample is read. */
export const datasetOptions = z.strictObject({
  path: z
    .string()
    .min(1)
    .optional()
    .describe(
      'folder with the full dataset files (layout in the @kd/data README); default: the bundled sample',
    ),
});
export type DatasetOptions = z.output<typeof datasetOptions>;

const GLUE_METRICS: Record<GlueTask, readonly string[]> = {
  sst2: ['accuracy'],
  cola: ['mcc'],
  mrpc: ['accuracy', 'f1'],
  qqp: ['accuracy', 'f1'],
  rte: ['accuracy'],
  stsb: ['pearson', 'spearman'],
};

/** A `dataset:glue-<task>` entry; @kd/datasets-nc uses it for QQP and MRPC with its own files. */
export function glueHandle(
  task: GlueTask,
  options: DatasetOptions & { description: string; license: string; id?: string },
  load: (task: GlueTask, split: Split, source: DataSource) => Promise<GlueSplit> = loadGlue,
): GlueHandle {
  const source = sourceOf(options.path);
  const info = GLUE_TASKS[task];
  const bundledSplits: Record<GlueTask, Split[]> = {
    sst2: ['train', 'validation'],
    rte: ['train', 'validation'],
    stsb: ['train', 'validation'],
    cola: ['train', 'validation'],
    mrpc: ['train', 'validation'],
    qqp: ['train', 'validation'],
  };
  return {
    id: options.id ?? `glue-${task}`,
    kind: 'glue',
    description: options.description,
    license: options.license,
    bundled: source.kind === 'bundled',
    splits: source.kind === 'bundled' ? bundledSplits[task] : ['train', 'validation', 'test'],
    info: {
      task,
      labelNames: info.labelNames,
      numLabels: info.labelNames ? info.labelNames.length : 1,
      pair: info.pair,
      metrics: GLUE_METRICS[task],
    },
    load: (split) => load(task, split, source),
  };
}

const glueEntry = (task: Exclude<GlueTask, 'qqp' | 'mrpc'>, description: string, license: string) =>
  defineEntry({
    kind: 'dataset',
    id: `glue-${task}`,
    description,
    options: datasetOptions,
    create: (o): GlueHandle => glueHandle(task, { ...o, description, license }),
  });

const kgEntry = (name: KgName, description: string, license: string) =>
  defineEntry({
    kind: 'dataset',
    id: `kg-${name}`,
    description,
    options: datasetOptions,
    create: (o): KnowledgeGraphHandle => {
      const source = sourceOf(o.path);
      return {
        id: `kg-${name}`,
        kind: 'kg',
        description,
        license,
        bundled: source.kind === 'bundled',
        splits: ['all'],
        load: () => loadKnowledgeGraph(name, source),
      };
    },
  });

const planetoidEntry = (name: 'cora' | 'citeseer', description: string) =>
  defineEntry({
    kind: 'dataset',
    id: name,
    description,
    options: datasetOptions,
    create: (o): PlanetoidHandle => {
      const source = sourceOf(o.path);
      return {
        id: name,
        kind: 'graph',
        description,
        license: 'no explicit licence (LINQS); research use',
        bundled: source.kind === 'bundled',
        splits: ['all'],
        load: () => loadPlanetoid(name, source),
      };
    },
  });

const textEntry = (
  id: string,
  description: string,
  license: string,
  splits: Split[],
  load: (split: Split, path?: string) => Promise<string>,
) =>
  defineEntry({
    kind: 'dataset',
    id,
    description,
    options: datasetOptions,
    create: (o): TextHandle => ({
      id,
      kind: 'text',
      description,
      license,
      bundled: o.path === undefined,
      splits: o.path === undefined ? splits : ['train', 'validation', 'test'],
      load: (split) => load(split, o.path),
    }),
  });

const nerEntry = (
  id: string,
  description: string,
  license: string,
  tagSet: string[],
  bundledSplits: Split[],
  load: typeof loadWnut17,
) =>
  defineEntry({
    kind: 'dataset',
    id,
    description,
    options: datasetOptions,
    create: (o): NerHandle => {
      const source = sourceOf(o.path);
      return {
        id,
        kind: 'ner',
        description,
        license,
        bundled: source.kind === 'bundled',
        splits: source.kind === 'bundled' ? bundledSplits : ['train', 'validation', 'test'],
        tagSet,
        load: (split) => load(split, source),
      };
    },
  });

const wnutTypes = ['corporation', 'creative-work', 'group', 'location', 'person', 'product'];
const unerTypes = ['LOC', 'ORG', 'PER'];
const bio = (types: string[]) => ['O', ...types.flatMap((t) => [`B-${t}`, `I-${t}`])];

/** The `dataset:` entries of @kd/data (QQP and MRPC are in the private @kd/datasets-nc). */
export const datasetEntries = [
  glueEntry(
    'sst2',
    'GLUE SST-2 sentiment (binary); bundled: 4,000-row train sample + full dev',
    'no explicit licence; research use',
  ),
  glueEntry(
    'cola',
    'GLUE CoLA acceptability (binary, MCC); bundled: 2,000-row train sample + full dev',
    'no explicit licence; research use',
  ),
  glueEntry(
    'rte',
    'GLUE RTE entailment (sentence pairs); bundled: full train + dev',
    'no explicit licence; research use',
  ),
  glueEntry(
    'stsb',
    'GLUE STS-B similarity (pairs, regression 0–5); bundled: 2,000-row train sample + full dev',
    'scores CC BY-SA 4.0; text per source (MSR parts: MSR terms)',
  ),
  defineEntry({
    kind: 'dataset',
    id: 'squad-v1.1',
    description: 'SQuAD v1.1 extractive QA; bundled: 6 dev articles (every question)',
    options: datasetOptions,
    create: (o): SquadHandle => {
      const source = sourceOf(o.path);
      return {
        id: 'squad-v1.1',
        kind: 'squad',
        description: 'SQuAD v1.1 extractive QA',
        license: 'CC BY-SA 4.0',
        bundled: source.kind === 'bundled',
        splits: source.kind === 'bundled' ? ['validation'] : ['train', 'validation'],
        load: (split) => loadSquad(split, source),
      };
    },
  }),
  textEntry(
    'tinyshakespeare',
    'Tiny Shakespeare (1.1M characters) as one text; split with splitTrainVal',
    'public domain',
    ['train'],
    (_split, path) => loadTinyShakespeare(sourceOf(path)),
  ),
  textEntry(
    'wikitext-2',
    'WikiText-2 (tokenised, <unk>); bundled: the validation split',
    'CC BY-SA 3.0',
    ['validation'],
    (split, path) => loadWikiText2(split, sourceOf(path)),
  ),
  kgEntry(
    'kinship',
    'Kinship KG (104 entities, 25 relations), full',
    'no explicit licence; research use',
  ),
  kgEntry(
    'umls',
    'UMLS semantic-network KG (135 entities, 46 relations), full',
    'no explicit licence; NLM UMLS terms may apply',
  ),
  kgEntry(
    'nations',
    'Nations KG (14 entities, 55 relations), full',
    'no explicit licence; research use',
  ),
  kgEntry('wn18rr', 'WN18RR (WordNet) KG; not bundled: needs { path }', 'WordNet 3.0 licence'),
  kgEntry(
    'fb15k-237',
    'FB15k-237 (Freebase) KG; not bundled: needs { path }',
    'Freebase-derived (CC BY 2.5)',
  ),
  planetoidEntry(
    'cora',
    'Cora citation graph (2,708 nodes, 1,433 features, 7 classes), Planetoid public split',
  ),
  planetoidEntry(
    'citeseer',
    'CiteSeer citation graph (3,327 nodes, 3,703 features, 6 classes), Planetoid public split',
  ),
  defineEntry({
    kind: 'dataset',
    id: 'conll04',
    description: 'CoNLL04 joint entity/relation extraction (SpERT split 922/231/288), full',
    options: datasetOptions,
    create: (o): Conll04Handle => {
      const source = sourceOf(o.path);
      return {
        id: 'conll04',
        kind: 'relations',
        description: 'CoNLL04 joint entity/relation extraction',
        license: 'no explicit licence; research use',
        bundled: source.kind === 'bundled',
        splits: ['all'],
        load: () => loadConll04(source),
      };
    },
  }),
  nerEntry(
    'wnut-17',
    'WNUT-17 emerging-entity NER (IOB2, 6 types); bundled: 1,000 train sentences + full dev',
    'CC BY 4.0',
    bio(wnutTypes),
    ['train', 'validation'],
    loadWnut17,
  ),
  nerEntry(
    'uner-en-ewt',
    'Universal NER English-EWT (IOB2, PER/LOC/ORG); bundled: 500 dev sentences',
    'CC BY-SA 4.0',
    bio(unerTypes),
    ['validation'],
    loadUnerEnEwt,
  ),
];
