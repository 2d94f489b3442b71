import { Rng } from '@kd/core';
import { loadGlue, loadWikiText2, type Tokenizer } from '@kd/data';

/**
 * The unlabeled English text the encoder teacher is pretrained on, all of it
 * bundled with @kd/data: WikiText-2 validation paragraphs (headings
 * dropped, its `@-@` style escapes undone, `<unk>` removed), and the
 * sentences of the SST-2 and RTE *training* splits without their labels.
 * Nothing from the dev splits the experiment evaluates on.
 */
export async function encoderCorpus(): Promise<string[]> {
  const wiki = (await loadWikiText2('validation'))
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('='))
    .map((l) =>
      l
        .replace(/ @(.)@ /g, '$1')
        .replace(/<unk>/g, '')
        .replace(/\s+/g, ' ')
        .trim(),
    );
  const sst2 = (await loadGlue('sst2', 'train')).examples.map((e) => e.text);
  const rte = (await loadGlue('rte', 'train')).examples.flatMap((e) => [e.text, e.pair ?? '']);
  return [...wiki, ...sst2, ...rte].filter((t) => t !== '');
}

/**
 * BERT-style pretraining windows: the texts in a seeded order, tokenized
 * and joined with [SEP], cut into `seqLen − 2` pieces, each wrapped as
 * `[CLS] … [SEP]` (the last one padded). Returns equal-length rows with
 * their attention masks.
 */
export function packWindows(
  texts: readonly string[],
  tokenizer: Tokenizer,
  seqLen: number,
  seed: number,
): { inputIds: number[][]; attentionMask: number[][] } {
  const { cls, sep, pad } = tokenizer.specialTokens as { cls: number; sep: number; pad: number };
  const order = new Rng(seed).permutation(texts.length);
  const stream: number[] = [];
  for (const i of order) {
    stream.push(...tokenizer.encodeIds(texts[i], { addSpecialTokens: false }), sep);
  }
  const body = seqLen - 2;
  const inputIds: number[][] = [];
  const attentionMask: number[][] = [];
  for (let at = 0; at < stream.length; at += body) {
    const piece = stream.slice(at, at + body);
    const row = [cls, ...piece, sep];
    const mask = row.map(() => 1);
    while (row.length < seqLen) {
      row.push(pad);
      mask.push(0);
    }
    inputIds.push(row);
    attentionMask.push(mask);
  }
  return { inputIds, attentionMask };
}
