import { NotFoundError, ValidationError } from '@kd/core';
import type { AssetName } from '../assets.js';
import {
  parseRelationTypes,
  parseSpert,
  type RelationDocument,
  type RelationTypes,
} from '../readers/conll04.js';
import { type GlueSplit, type GlueTask, parseGlue } from '../readers/glue.js';
import { parseConll, type TaggedSentence } from '../readers/iob2.js';
import {
  buildKnowledgeGraph,
  type KnowledgeGraph,
  parseTriples,
  type Triple,
} from '../readers/kg.js';
import { type PlanetoidGraph, parsePlanetoid } from '../readers/planetoid.js';
import { parseSquad, type SquadDataset } from '../readers/squad.js';
import { parseWikiText } from '../readers/text.js';
import { type DataSource, joinLocation, readFromDir, readSourceFile } from './source.js';

/** Split names follow Hugging Face datasets: train, validation, test. */
export type Split = 'train' | 'validation' | 'test';

const bundled = (s: DataSource) => s.kind === 'bundled';

function noSplit(id: string, split: string, available: string[]): never {
  throw new NotFoundError(
    `${id} has no "${split}" split here; available: ${available.join(', ')}`,
    available,
  );
}

/** GLUE file names inside a user folder (GLUE's own layout: train.tsv, dev.tsv, test.tsv). */
const GLUE_FILES: Record<Split, string> = {
  train: 'train.tsv',
  validation: 'dev.tsv',
  test: 'test.tsv',
};
const GLUE_ASSETS: Partial<Record<GlueTask, Partial<Record<Split, AssetName>>>> = {
  sst2: { train: 'glue/sst2/train.sample.tsv', validation: 'glue/sst2/dev.tsv' },
  rte: { train: 'glue/rte/train.tsv', validation: 'glue/rte/dev.tsv' },
  stsb: { train: 'glue/stsb/train.sample.tsv', validation: 'glue/stsb/dev.tsv' },
  cola: { train: 'glue/cola/train.sample.tsv', validation: 'glue/cola/dev.tsv' },
};

/** A GLUE split, bundled (SST-2, RTE, STS-B, CoLA) or from a GLUE-layout folder. */
export async function loadGlue(
  task: GlueTask,
  split: Split,
  source: DataSource = { kind: 'bundled' },
): Promise<GlueSplit> {
  const asset = GLUE_ASSETS[task]?.[split];
  if (bundled(source) && !asset)
    noSplit(`glue-${task} (bundled)`, split, Object.keys(GLUE_ASSETS[task] ?? {}));
  const file =
    source.kind === 'dir'
      ? `${String(source.dir)}/${GLUE_FILES[split]}`
      : `@kd/data/assets/${asset}`;
  return parseGlue(task, await readSourceFile(source, asset, GLUE_FILES[split], `glue-${task}`), {
    file,
  });
}

/** SQuAD v1.1: the bundled dev sample (6 articles), or `dev-v1.1.json` / `train-v1.1.json` from a folder. */
export async function loadSquad(
  split: Split = 'validation',
  source: DataSource = { kind: 'bundled' },
): Promise<SquadDataset> {
  if (split === 'test' || (bundled(source) && split !== 'validation'))
    noSplit('squad-v1.1', split, bundled(source) ? ['validation'] : ['train', 'validation']);
  const name = split === 'train' ? 'train-v1.1.json' : 'dev-v1.1.json';
  return parseSquad(
    await readSourceFile(source, 'squad-v1.1/dev.sample.json', name, 'squad-v1.1'),
    { file: name },
  );
}

/** Tiny Shakespeare as one string (`input.txt`); split it with `splitTrainVal`. */
export async function loadTinyShakespeare(
  source: DataSource = { kind: 'bundled' },
): Promise<string> {
  return readSourceFile(source, 'text/tinyshakespeare/input.txt', 'input.txt', 'tinyshakespeare');
}

/** WikiText-2 (tokenised) text of a split; validation is bundled, the rest need a folder with `{train,valid,test}.txt` (or `wiki.*.tokens`). */
export async function loadWikiText2(
  split: Split = 'validation',
  source: DataSource = { kind: 'bundled' },
): Promise<string> {
  if (bundled(source) && split !== 'validation')
    noSplit('wikitext-2 (bundled)', split, ['validation']);
  const name = { train: 'train.txt', validation: 'valid.txt', test: 'test.txt' }[split];
  const text = await readSourceFile(source, 'text/wikitext-2/valid.txt', name, 'wikitext-2');
  parseWikiText(text, { file: name }); // validates the layout
  return text;
}

export type KgName = 'kinship' | 'umls' | 'nations' | 'wn18rr' | 'fb15k-237';
const KG_BUNDLED = new Set<KgName>(['kinship', 'umls', 'nations']);

/** A knowledge graph with train/valid/test triples (`train.txt`, `valid.txt`, `test.txt`, `.gz` accepted). */
export async function loadKnowledgeGraph(
  name: KgName,
  source: DataSource = { kind: 'bundled' },
): Promise<KnowledgeGraph> {
  if (bundled(source) && !KG_BUNDLED.has(name)) {
    throw new ValidationError(
      `kg-${name} is not bundled (too large for the npm package); pass { path: '<folder with train.txt, valid.txt, test.txt>' }`,
    );
  }
  const read = async (split: 'train' | 'valid' | 'test'): Promise<Triple[]> => {
    const asset = KG_BUNDLED.has(name) ? (`kg/${name}/${split}.txt` as AssetName) : undefined;
    return parseTriples(await readSourceFile(source, asset, `${split}.txt`, `kg-${name}`), {
      file: `kg-${name}/${split}.txt`,
    });
  };
  const [train, valid, test] = await Promise.all([read('train'), read('valid'), read('test')]);
  return buildKnowledgeGraph({ train, valid, test });
}

/** Cora or CiteSeer with the public Planetoid split (`features.txt`, `labels.txt`, `edges.txt`, `split.txt`). */
export async function loadPlanetoid(
  name: 'cora' | 'citeseer',
  source: DataSource = { kind: 'bundled' },
): Promise<PlanetoidGraph> {
  const read = (f: string) =>
    readSourceFile(source, `planetoid/${name}/${f}.txt` as AssetName, `${f}.txt`, name);
  const [features, labels, edges, split] = await Promise.all([
    read('features'),
    read('labels'),
    read('edges'),
    read('split'),
  ]);
  return parsePlanetoid({ features, labels, edges, split }, { name });
}

export interface Conll04 {
  types: RelationTypes;
  train: RelationDocument[];
  validation: RelationDocument[];
  test: RelationDocument[];
}

/** CoNLL04 in SpERT layout (`conll04_{train,dev,test}.json` + `conll04_types.json` in a folder). */
export async function loadConll04(source: DataSource = { kind: 'bundled' }): Promise<Conll04> {
  // SpERT's own layout keeps the types file beside the split files; this project's data
  // folder keeps it one level up, so a folder is searched there too.
  let typesText: string;
  try {
    typesText = await readSourceFile(source, 'conll04/types.json', 'conll04_types.json', 'conll04');
  } catch (error) {
    if (source.kind !== 'dir' || !(error instanceof NotFoundError)) throw error;
    typesText = await readFromDir(joinLocation(source.dir, '..'), 'conll04_types.json');
  }
  const types = parseRelationTypes(typesText, { file: 'conll04_types.json' });
  const read = async (split: 'train' | 'dev' | 'test') =>
    parseSpert(
      await readSourceFile(
        source,
        `conll04/${split}.json` as AssetName,
        `conll04_${split}.json`,
        'conll04',
      ),
      {
        file: `conll04_${split}.json`,
        types,
      },
    );
  const [train, validation, test] = await Promise.all([read('train'), read('dev'), read('test')]);
  return { types, train, validation, test };
}

/** WNUT-17 (train sample + full dev bundled; a folder holds `train.conll`, `dev.conll`, `test.conll`). */
export async function loadWnut17(
  split: Split,
  source: DataSource = { kind: 'bundled' },
): Promise<TaggedSentence[]> {
  const assets: Partial<Record<Split, AssetName>> = {
    train: 'ner/wnut17/train.sample.conll',
    validation: 'ner/wnut17/dev.conll',
  };
  if (bundled(source) && !assets[split])
    noSplit('wnut-17 (bundled)', split, ['train', 'validation']);
  const name = { train: 'train.conll', validation: 'dev.conll', test: 'test.conll' }[split];
  return parseConll(await readSourceFile(source, assets[split], name, 'wnut-17'), { file: name });
}

/** Universal NER English-EWT (a 500-sentence dev sample bundled; a folder holds `{train,dev,test}.iob2`). */
export async function loadUnerEnEwt(
  split: Split,
  source: DataSource = { kind: 'bundled' },
): Promise<TaggedSentence[]> {
  if (bundled(source) && split !== 'validation')
    noSplit('uner-en-ewt (bundled)', split, ['validation']);
  const name = { train: 'train.iob2', validation: 'dev.iob2', test: 'test.iob2' }[split];
  return parseConll(
    await readSourceFile(source, 'ner/uner-en-ewt/dev.sample.iob2', name, 'uner-en-ewt'),
    { file: name },
  );
}
