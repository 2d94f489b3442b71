import type { Rng } from '@kd/core';
import { BertModel, Linear, Module } from '@kd/nn';
import * as tf from '@tensorflow/tfjs-core';
import { EdgeIndex } from '../edge-index.js';
import { GATConv } from '../layers/gat.js';
import { GCNConv } from '../layers/gcn.js';
import { dropout } from '../nn/dropout.js';
import { gatherRows } from '../scatter.js';
import { SparseMatrix, spmm } from '../sparse.js';
import type { EncodedSentence } from './features.js';
import type { Span } from './tags.js';

export interface JointExtractorOptions {
  vocabSize: number;
  numTags: number;
  numRelations: number;
  hiddenSize?: number;
  layers?: number;
  heads?: number;
  maxLength?: number;
  /** Run GCN and GAT layers over the token/entity graph (false: the ablation). */
  graph?: boolean;
  graphHeads?: number;
  dropout?: number;
}

/** Candidate entities of each sentence of a batch (gold while training, predicted at inference). */
export type Candidates = readonly (readonly Span[])[];

export interface ExtractorOutput {
  /** `[words, tags]` for every word of the batch, sentence after sentence. */
  tagLogits: tf.Tensor2D;
  /** `[pairs, relations + 1]` (last column: no relation) for `pairs`. */
  relationLogits: tf.Tensor2D;
  /** Ordered candidate pairs: sentence, head index, tail index. */
  pairs: { sentence: number; head: number; tail: number }[];
}

/**
 * Joint entity and relation extraction: a BERT token encoder (@kd/nn) gives
 * word vectors (first subword); a linear IOB2 tagger finds entity spans; a
 * graph whose nodes are the words and the candidate entities — words linked
 * to their neighbours, entities to their words and to the other entities of
 * the sentence — is processed by a GCN and a GAT layer (GraphRel-style
 * relation reasoning over a token graph); every ordered pair of entities is
 * classified from [e_h; e_t; e_h ⊙ e_t].
 */
export class JointExtractor extends Module {
  readonly options: Required<JointExtractorOptions>;
  readonly encoder: BertModel;
  readonly tagger: Linear;
  readonly gcn: GCNConv | undefined;
  readonly gat: GATConv | undefined;
  readonly relationHidden: Linear;
  readonly relationClassifier: Linear;
  readonly #rng: Rng;

  constructor(options: JointExtractorOptions, rng: Rng) {
    super();
    const o = {
      hiddenSize: 128,
      layers: 2,
      heads: 4,
      maxLength: 256,
      graph: true,
      graphHeads: 4,
      dropout: 0.1,
      ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    } as Required<JointExtractorOptions>;
    this.options = o;
    const d = o.hiddenSize;
    this.encoder = this.addModule(
      'encoder',
      new BertModel(
        {
          vocabSize: o.vocabSize,
          hiddenSize: d,
          numHiddenLayers: o.layers,
          numAttentionHeads: o.heads,
          intermediateSize: 4 * d,
          maxPositionEmbeddings: o.maxLength,
          hiddenDropoutProb: o.dropout,
          attentionProbsDropoutProb: o.dropout,
        },
        { rng, addPoolingLayer: false },
      ),
    );
    this.tagger = this.addModule('tagger', new Linear(d, o.numTags, { rng }));
    if (o.graph) {
      this.gcn = this.addModule('gcn', new GCNConv({ inChannels: d, outChannels: d }, rng));
      this.gat = this.addModule(
        'gat',
        new GATConv(
          { inChannels: d, outChannels: d / o.graphHeads, heads: o.graphHeads, dropout: o.dropout },
          rng,
        ),
      );
    }
    this.relationHidden = this.addModule('relation_hidden', new Linear(3 * d, d, { rng }));
    this.relationClassifier = this.addModule(
      'relation_classifier',
      new Linear(d, o.numRelations + 1, { rng }),
    );
    this.#rng = rng.fork('extractor.dropout');
  }

  /** Word vectors `[words, d]` of a batch (first subword of each word). */
  words(batch: readonly EncodedSentence[]): tf.Tensor2D {
    const t = Math.max(...batch.map((s) => s.ids.length));
    const ids = batch.map((s) =>
      Array.from({ length: t }, (_, k) => (k < s.ids.length ? s.ids[k] : 0)),
    );
    const mask = batch.map((s) => Array.from({ length: t }, (_, k) => (k < s.ids.length ? 1 : 0)));
    const rows: number[] = [];
    batch.forEach((s, b) => {
      for (const f of s.firstSubword) rows.push(b * t + (f < 0 ? s.ids.length - 1 : f));
    });
    return tf.tidy(() => {
      const h = this.encoder.forward({ inputIds: ids, attentionMask: mask }).lastHiddenState;
      return gatherRows(
        tf.reshape(h, [-1, this.options.hiddenSize]),
        Int32Array.from(rows),
      ) as tf.Tensor2D;
    });
  }

  forward(batch: readonly EncodedSentence[], candidates: Candidates): ExtractorOutput {
    const d = this.options.hiddenSize;
    const offsets: number[] = [];
    let numWords = 0;
    for (const s of batch) {
      offsets.push(numWords);
      numWords += s.doc.tokens.length;
    }
    // Entity nodes follow the words; an entity node starts as the mean of its words.
    const entRows: number[] = [];
    const entCols: number[] = [];
    const entVals: number[] = [];
    const entityIds: number[][] = [];
    let numEntities = 0;
    candidates.forEach((spans, b) => {
      entityIds.push(
        spans.map((sp) => {
          for (let w = sp.start; w < sp.end; w++) {
            entRows.push(numEntities);
            entCols.push(offsets[b] + w);
            entVals.push(1 / (sp.end - sp.start));
          }
          return numEntities++;
        }),
      );
    });
    const pairs: ExtractorOutput['pairs'] = [];
    candidates.forEach((spans, b) => {
      for (let h = 0; h < spans.length; h++)
        for (let t = 0; t < spans.length; t++)
          if (h !== t) pairs.push({ sentence: b, head: h, tail: t });
    });
    const out = tf.tidy(() => {
      const words = dropout(
        this.words(batch),
        this.options.dropout,
        this.#rng,
        this.training,
      ) as tf.Tensor2D;
      const tagLogits = this.tagger.forward(words) as tf.Tensor2D;
      let ents: tf.Tensor2D =
        numEntities === 0
          ? (tf.zeros([0, d]) as tf.Tensor2D)
          : spmm(
              new SparseMatrix(
                Int32Array.from(entRows),
                Int32Array.from(entCols),
                [numEntities, numWords],
                Float32Array.from(entVals),
              ),
              undefined,
              words,
            );
      if (this.gcn && this.gat && numEntities > 0) {
        const graph = tokenEntityGraph(batch, offsets, numWords, entityIds, candidates);
        const x0 = tf.concat([words, ents]) as tf.Tensor2D;
        const x1 = tf.add(x0, tf.relu(this.gcn.forward(x0, graph))) as tf.Tensor2D;
        const x2 = tf.add(x1, tf.elu(this.gat.forward(x1, graph))) as tf.Tensor2D;
        ents = tf.slice(x2, [numWords, 0], [numEntities, d]);
      }
      let relationLogits: tf.Tensor2D;
      if (pairs.length === 0) {
        relationLogits = tf.zeros([0, this.options.numRelations + 1]) as tf.Tensor2D;
      } else {
        const head = gatherRows(
          ents,
          Int32Array.from(pairs, (p) => entityIds[p.sentence][p.head]),
        );
        const tail = gatherRows(
          ents,
          Int32Array.from(pairs, (p) => entityIds[p.sentence][p.tail]),
        );
        const feats = tf.concat([head, tail, tf.mul(head, tail)], 1);
        const hidden = dropout(
          tf.relu(this.relationHidden.forward(feats)),
          this.options.dropout,
          this.#rng,
          this.training,
        );
        relationLogits = this.relationClassifier.forward(hidden) as tf.Tensor2D;
      }
      return { tagLogits, relationLogits };
    });
    return { ...out, pairs };
  }
}

/**
 * Nodes: the batch's words, then its entity candidates. Edges (both ways):
 * each word and the next word of its sentence, each entity and its words,
 * every two entities of a sentence.
 */
function tokenEntityGraph(
  batch: readonly EncodedSentence[],
  offsets: readonly number[],
  numWords: number,
  entityIds: readonly (readonly number[])[],
  candidates: Candidates,
): EdgeIndex {
  const src: number[] = [];
  const dst: number[] = [];
  const link = (a: number, b: number) => {
    src.push(a, b);
    dst.push(b, a);
  };
  batch.forEach((s, b) => {
    for (let w = 0; w + 1 < s.doc.tokens.length; w++) link(offsets[b] + w, offsets[b] + w + 1);
    candidates[b].forEach((sp, k) => {
      const node = numWords + entityIds[b][k];
      for (let w = sp.start; w < sp.end; w++) link(node, offsets[b] + w);
      for (let k2 = k + 1; k2 < candidates[b].length; k2++) link(node, numWords + entityIds[b][k2]);
    });
  });
  const n = numWords + entityIds.reduce((a, e) => a + e.length, 0);
  return new EdgeIndex(Int32Array.from(src), Int32Array.from(dst), n, 'tokenEntityGraph');
}
