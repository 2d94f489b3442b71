import { initBackend, Rng } from '@kd/core';
import { loadBertUncasedTokenizer, loadConll04, type RelationTypes } from '@kd/data';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  encodeSentences,
  extractionLoss,
  JointExtractor,
  predict,
  SubwordVocab,
  scoreExtraction,
  spansToTags,
  tagNames,
  tagsToSpans,
  trainExtractor,
} from '../src/index.js';

const TYPES = ['Loc', 'Org', 'Peop', 'Other'];

describe('IOB2 tags', () => {
  it('round-trips spans and reads stray I- tags leniently', () => {
    expect(tagNames(['Loc', 'Org'])).toEqual(['O', 'B-Loc', 'I-Loc', 'B-Org', 'I-Org']);
    const spans = [
      { start: 0, end: 2, type: 'Peop' },
      { start: 3, end: 4, type: 'Loc' },
      { start: 4, end: 6, type: 'Loc' },
    ];
    const tags = spansToTags(spans, 7, TYPES);
    expect(Array.from(tags)).toEqual([5, 6, 0, 1, 1, 2, 0]);
    expect(tagsToSpans(tags, TYPES)).toEqual(spans);
    // I-Org after O starts an entity; I-Loc after B-Org starts another.
    expect(tagsToSpans([0, 4, 4, 2], TYPES)).toEqual([
      { start: 1, end: 3, type: 'Org' },
      { start: 3, end: 4, type: 'Loc' },
    ]);
    expect(() => spansToTags([{ start: 2, end: 9, type: 'Loc' }], 5, TYPES)).toThrow(
      /not inside 5 words/,
    );
    expect(() => spansToTags([{ start: 0, end: 1, type: 'City' }], 5, TYPES)).toThrow(
      /unknown entity type "City"/,
    );
  });
});

describe('joint extractor on CoNLL04 sentences (wasm)', () => {
  let types: RelationTypes;
  let sentences: ReturnType<typeof encodeSentences>;
  let vocabSize: number;

  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
    const data = await loadConll04();
    types = data.types;
    const tokenizer = await loadBertUncasedTokenizer();
    const docs = data.train.filter((d) => d.relations.length > 0).slice(0, 12);
    const vocab = SubwordVocab.build(tokenizer, docs);
    vocabSize = vocab.size;
    sentences = encodeSentences(docs, tokenizer, vocab, types.entities);
  });

  it('encodes words to first subwords and gold tags', () => {
    for (const s of sentences) {
      expect(s.ids[0]).toBe(2); // [CLS]
      expect(s.ids[s.ids.length - 1]).toBe(3); // [SEP]
      expect(s.firstSubword.length).toBe(s.doc.tokens.length);
      expect(Math.min(...s.firstSubword)).toBe(1);
      expect(tagsToSpans(s.tags, types.entities)).toEqual(
        [...s.doc.entities]
          .sort((a, b) => a.start - b.start)
          .map(({ start, end, type }) => ({ start, end, type })),
      );
    }
  });

  for (const graph of [true, false]) {
    it(`trains end to end (graph layers: ${graph}): loss falls, memory flat, predictions scored`, () => {
      const model = new JointExtractor(
        {
          vocabSize,
          numTags: 9,
          numRelations: types.relations.length,
          hiddenSize: 32,
          layers: 1,
          heads: 2,
          graph,
          graphHeads: 2,
        },
        new Rng(0),
      );
      const names = model.namedParameters().map(([n]) => n);
      expect(names.some((n) => n.startsWith('gcn.'))).toBe(graph);
      expect(names).toContain('encoder.embeddings.word_embeddings.weight');
      const counts: number[] = [];
      const res = trainExtractor(
        model,
        sentences,
        sentences,
        types,
        {
          epochs: 12,
          batchSize: 3,
          optimizer: { name: 'adamw', lr: 1e-2, weightDecay: 0.01 },
          evalEvery: 6,
          onEpoch: () => counts.push(tf.memory().numTensors),
        },
        new Rng(1),
      );
      expect(res.losses.at(-1)!).toBeLessThan(res.losses[0]);
      expect(new Set(counts.slice(1)).size).toBe(1);
      const before = tf.memory().numTensors;
      const scores = scoreExtraction(predict(model, sentences, types), sentences, types);
      expect(tf.memory().numTensors).toBe(before);
      for (const v of Object.values(scores)) expect(v).toBeGreaterThanOrEqual(0);
      expect(scores.nerMicroF1).toBeGreaterThan(0);
      model.dispose();
    });
  }

  it('the loss is finite and differentiable through encoder, graph and heads', () => {
    const model = new JointExtractor(
      {
        vocabSize,
        numTags: 9,
        numRelations: types.relations.length,
        hiddenSize: 16,
        layers: 1,
        heads: 2,
        graphHeads: 2,
      },
      new Rng(2),
    );
    const params = model.namedParameters();
    const { value, grads } = tf.variableGrads(
      () => extractionLoss(model, sentences.slice(0, 3), types),
      params.map(([, p]) => p),
    );
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    for (const prefix of ['encoder.', 'tagger.', 'gcn.', 'gat.', 'relation_classifier.']) {
      const [, p] = params.find(([n]) => n.startsWith(prefix))!;
      expect(
        tf.tidy(() => tf.any(tf.notEqual(grads[p.name], 0)).dataSync()[0]),
        prefix,
      ).toBe(1);
    }
    tf.dispose([value, ...Object.values(grads)]);
    model.dispose();
  });
});
