// Builds the benchmark's (prediction, reference) pairs from bundled real text.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Rng } from '@kd/core';

/** Tiny Shakespeare split into sentences (speaker lines dropped, lines of a speech joined). */
export function shakespeareSentences() {
  const text = gunzipSync(
    readFileSync(new URL('./data/tinyshakespeare.txt.gz', import.meta.url)),
  ).toString('utf8');
  const speeches = text.split(/\n\s*\n/).map((block) =>
    block
      .split('\n')
      .filter((l, i) => !(i === 0 && l.trim().endsWith(':')))
      .join(' '),
  );
  const out = [];
  for (const s of speeches) {
    for (const m of s.matchAll(/[^.!?;]+[.!?;]+/g)) {
      const sent = m[0].trim().replace(/\s+/g, ' ');
      if (sent.split(' ').length >= 3) out.push(sent);
    }
  }
  return out;
}

/** `n` pairs: each reference sentence with a seeded, perturbed copy as the prediction. */
export function benchmarkPairs(n = 100_000, seed = 2026) {
  const sentences = shakespeareSentences();
  const rng = new Rng(seed);
  const vocab = [...new Set(sentences.flatMap((s) => s.split(' ')))];
  const predictions = new Array(n);
  const references = new Array(n);
  for (let i = 0; i < n; i++) {
    const ref = sentences[i % sentences.length];
    const w = ref.split(' ');
    const edits = rng.int(4);
    for (let e = 0; e < edits; e++) {
      const j = rng.int(w.length);
      const op = rng.uniform();
      if (op < 0.25 && w.length > 1) w.splice(j, 1);
      else if (op < 0.5) w[j] = vocab[rng.int(vocab.length)];
      else if (op < 0.7) w.splice(j, 0, vocab[rng.int(vocab.length)]);
      else if (op < 0.85) {
        const k = rng.int(w.length);
        [w[j], w[k]] = [w[k], w[j]];
      } else w[j] = w[j].toLowerCase();
    }
    predictions[i] = w.join(' ');
    references[i] = ref;
  }
  return { predictions, references, sentences: sentences.length };
}
