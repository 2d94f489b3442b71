import type { RelationDocument, Tokenizer } from '@kd/data';
import { spansToTags } from './tags.js';

/** A sentence ready for the encoder: subword ids and the first subword of every word. */
export interface EncodedSentence {
  doc: RelationDocument;
  /** `[CLS] pieces… [SEP]`, ids in the model's (compact) vocabulary. */
  ids: Int32Array;
  /** Index in `ids` of each word's first subword (−1 for words cut by truncation). */
  firstSubword: Int32Array;
  /** Gold IOB2 tag per word. */
  tags: Int32Array;
}

/**
 * A compact subword vocabulary: the tokenizer's ids seen in the training
 * sentences, plus the specials; others map to `[UNK]`. A from-scratch
 * encoder never learns rows it never sees, so there is no point in keeping
 * BERT's 30k rows.
 */
export class SubwordVocab {
  readonly ids = new Map<number, number>();
  readonly pad = 0;
  readonly unk = 1;
  readonly cls = 2;
  readonly sep = 3;

  static build(tokenizer: Tokenizer, docs: readonly RelationDocument[]): SubwordVocab {
    const v = new SubwordVocab();
    for (const d of docs)
      for (const w of d.tokens) for (const id of pieces(tokenizer, w)) v.add(id);
    return v;
  }

  private add(id: number): void {
    if (!this.ids.has(id)) this.ids.set(id, this.ids.size + 4);
  }

  get size(): number {
    return this.ids.size + 4;
  }

  lookup(id: number): number {
    return this.ids.get(id) ?? this.unk;
  }
}

const pieceCache = new WeakMap<Tokenizer, Map<string, number[]>>();

function pieces(tokenizer: Tokenizer, word: string): number[] {
  let cache = pieceCache.get(tokenizer);
  if (!cache) pieceCache.set(tokenizer, (cache = new Map()));
  let p = cache.get(word);
  if (!p) {
    p = tokenizer.encodeIds(word, { addSpecialTokens: false });
    if (p.length === 0 && tokenizer.specialTokens.unk !== undefined)
      p = [tokenizer.specialTokens.unk];
    cache.set(word, p);
  }
  return p;
}

/** Subword-encodes SpERT-layout sentences for the joint extractor (truncated to `maxLength` subwords). */
export function encodeSentences(
  docs: readonly RelationDocument[],
  tokenizer: Tokenizer,
  vocab: SubwordVocab,
  entityTypes: readonly string[],
  maxLength = 128,
): EncodedSentence[] {
  return docs.map((doc) => {
    const ids = [vocab.cls];
    const first = new Int32Array(doc.tokens.length).fill(-1);
    doc.tokens.forEach((w, i) => {
      const p = pieces(tokenizer, w);
      if (ids.length + p.length + 1 > maxLength) return;
      first[i] = ids.length;
      for (const id of p) ids.push(vocab.lookup(id));
    });
    ids.push(vocab.sep);
    return {
      doc,
      ids: Int32Array.from(ids),
      firstSubword: first,
      tags: spansToTags(doc.entities, doc.tokens.length, entityTypes),
    };
  });
}
