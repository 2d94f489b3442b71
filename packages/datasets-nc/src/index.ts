import { defineEntry, definePlugin, NotFoundError } from '@kd/core';
import {
  type DataSource,
  datasetOptions,
  type GlueHandle,
  type GlueSplit,
  type GlueTask,
  glueHandle,
  loadGlue,
  parseGlue,
  readDataText,
  type Split,
} from '@kd/data';

/** Bundled files of this package (gzip), relative to its `assets/` folder. */
const ASSETS: Record<'qqp' | 'mrpc', Partial<Record<Split, string>>> = {
  qqp: { train: 'qqp/train.sample.tsv', validation: 'qqp/dev.sample.tsv' },
  mrpc: { train: 'mrpc/train.tsv', validation: 'mrpc/dev.tsv' },
};

/** A file of this package's `assets/` (this file sits one folder below the package root in src/ and dist/). */
export function ncAssetUrl(name: string): URL {
  return new URL(`../assets/${name}.gz`, import.meta.url);
}

async function loadNc(task: GlueTask, split: Split, source: DataSource): Promise<GlueSplit> {
  if (source.kind === 'dir') return loadGlue(task, split, source);
  const name = ASSETS[task as 'qqp' | 'mrpc']?.[split];
  if (!name) {
    const available = Object.keys(ASSETS[task as 'qqp' | 'mrpc'] ?? {});
    throw new NotFoundError(
      `glue-${task} (bundled) has no "${split}" split; available: ${available.join(', ')}`,
      available,
    );
  }
  return parseGlue(task, await readDataText(ncAssetUrl(name)), {
    file: `@kd/datasets-nc/assets/${name}`,
  });
}

const QQP_TERMS = 'Quora terms: non-commercial use only';
const MRPC_TERMS = 'MSR Shared Source License: non-commercial use only';

/** `dataset:glue-qqp` and `dataset:glue-mrpc` (non-commercial data; this package is private). */
export const plugin = definePlugin({
  meta: { name: '@kd/datasets-nc', version: '0.1.0', apiVersion: '1.0.0' },
  provides: [
    defineEntry({
      kind: 'dataset',
      id: 'glue-qqp',
      description:
        'GLUE QQP duplicate questions (pairs; accuracy/F1); bundled: 5,000 train rows + 9 dev rows; non-commercial',
      options: datasetOptions,
      create: (o): GlueHandle =>
        glueHandle(
          'qqp',
          { ...o, description: 'GLUE QQP duplicate-question pairs', license: QQP_TERMS },
          loadNc,
        ),
    }),
    defineEntry({
      kind: 'dataset',
      id: 'glue-mrpc',
      description:
        'GLUE MRPC paraphrase pairs (accuracy/F1); bundled: full train + dev; non-commercial',
      options: datasetOptions,
      create: (o): GlueHandle =>
        glueHandle(
          'mrpc',
          { ...o, description: 'GLUE MRPC paraphrase pairs', license: MRPC_TERMS },
          loadNc,
        ),
    }),
  ],
});
