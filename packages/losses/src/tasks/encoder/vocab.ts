import { ValidationError } from '@kd/core';
import type { Tokenizer } from '@kd/data';

/** The special tokens of a pruned vocabulary, at fixed ids. */
export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

/**
 * Prunes bert-base-uncased's 30,522-token WordPiece vocabulary to the
 * `size` pieces a corpus uses most, so a small encoder does not spend most
 * of its parameters on an embedding table of unused rows (TinyBERT-style
 * students keep BERT's vocabulary; at a few hundred thousand parameters that
 * table alone would be 30k × d). Kept, in this order:
 *
 * 1. the five specials at ids 0–4 ([PAD], [UNK], [CLS], [SEP], [MASK]);
 * 2. every single character the corpus uses, bare and as a `##` continuation,
 *    so a word whose pieces were pruned still splits into characters rather
 *    than becoming [UNK];
 * 3. the most frequent remaining pieces of the corpus under the full
 *    vocabulary (ties broken by the full vocabulary's id, so it is
 *    deterministic).
 *
 * Tokenizing with the pruned vocabulary is plain WordPiece again: greedy
 * longest match over the kept pieces.
 */
export function pruneWordPieceVocab(
  full: Tokenizer & { vocab: readonly string[] },
  corpus: Iterable<string>,
  size: number,
): string[] {
  const counts = new Map<number, number>();
  for (const text of corpus) {
    for (const id of full.encodeIds(text, { addSpecialTokens: false })) {
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  }
  const kept: string[] = [...SPECIAL_TOKENS];
  const seen = new Set<string>(kept);
  const add = (piece: string) => {
    if (!seen.has(piece) && full.tokenToId(piece) !== undefined) {
      seen.add(piece);
      kept.push(piece);
    }
  };
  const chars = new Set<string>();
  for (const id of counts.keys()) {
    const piece = full.vocab[id];
    for (const ch of piece.startsWith('##') ? piece.slice(2) : piece) chars.add(ch);
  }
  for (const ch of [...chars].sort()) {
    add(ch);
    add(`##${ch}`);
  }
  if (kept.length > size) {
    throw new ValidationError(
      `a vocabulary of ${size} cannot hold the ${kept.length} specials and characters this corpus needs`,
      [],
      { where: 'pruneWordPieceVocab' },
    );
  }
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  for (const [id] of ranked) {
    if (kept.length >= size) break;
    add(full.vocab[id]);
  }
  return kept;
}
