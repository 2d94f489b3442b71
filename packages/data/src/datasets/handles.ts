import type { GlueSplit, GlueTask } from '../readers/glue.js';
import type { TaggedSentence } from '../readers/iob2.js';
import type { KnowledgeGraph } from '../readers/kg.js';
import type { PlanetoidGraph } from '../readers/planetoid.js';
import type { SquadDataset } from '../readers/squad.js';
import type { Conll04, Split } from './loaders.js';

/**
 * What a `dataset:<id>` registry entry creates: a description of the data and
 * a `load` that reads it (bundled sample by default, or the `path` option's
 * folder). Loading is async because files are read lazily, in Node or a browser.
 */
export interface DatasetHandle<T, S extends string = Split> {
  readonly id: string;
  readonly kind: 'glue' | 'squad' | 'text' | 'kg' | 'graph' | 'relations' | 'ner';
  readonly description: string;
  /** Licence / terms of the data (see assets/NOTICE.md). */
  readonly license: string;
  /** True when `load` reads the sample bundled in the package rather than a user folder. */
  readonly bundled: boolean;
  /** The splits `load` accepts with this source. */
  readonly splits: readonly S[];
  load(split: S): Promise<T>;
}

export interface GlueInfo {
  task: GlueTask;
  /** Class names by id; null for STS-B (regression, labels are scores in [0, 5]). */
  labelNames: readonly string[] | null;
  numLabels: number;
  /** Whether examples are sentence pairs. */
  pair: boolean;
  /** The GLUE metric(s) for the task, named as @kd/eval names them. */
  metrics: readonly string[];
}

export type GlueHandle = DatasetHandle<GlueSplit> & { readonly info: GlueInfo };
export type SquadHandle = DatasetHandle<SquadDataset>;
/** Text corpora load as one string per split. */
export type TextHandle = DatasetHandle<string>;
/** Whole-graph datasets have one split, `all`, holding train/valid/test inside. */
export type KnowledgeGraphHandle = DatasetHandle<KnowledgeGraph, 'all'>;
export type PlanetoidHandle = DatasetHandle<PlanetoidGraph, 'all'>;
export type Conll04Handle = DatasetHandle<Conll04, 'all'>;
export type NerHandle = DatasetHandle<TaggedSentence[]> & { readonly tagSet: readonly string[] };
