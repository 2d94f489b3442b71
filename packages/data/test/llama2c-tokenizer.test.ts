import { FormatError, Rng } from '@kd/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Llama2cTokenizer,
  loadStories260K,
  loadStories260KTokenizer,
  readAsset,
} from '../src/index.js';
import { fixtureJson } from './helpers.js';

interface Reference {
  generator: string;
  sentences: string[];
  ids: number[][];
}

let tok: Llama2cTokenizer;
beforeAll(async () => {
  tok = await loadStories260KTokenizer();
});

/** llama2.c's merge loop as written (rescan all pairs each step), to check the heap version. */
function naiveEncode(t: Llama2cTokenizer, text: string): number[] {
  const key = (id: number) => String.fromCharCode(...t.pieceBytes[id]);
  const lookup = new Map<string, number>();
  t.pieceBytes.forEach((_, id) => {
    if (!lookup.has(key(id))) lookup.set(key(id), id);
  });
  const tokens = t.pieces(text).ids.length === 0 ? [] : [lookup.get(' ') as number];
  for (const ch of text) {
    const bytes = new TextEncoder().encode(ch);
    const id = lookup.get(String.fromCharCode(...bytes));
    if (id !== undefined) tokens.push(id);
    else for (const b of bytes) tokens.push(b + 3);
  }
  for (;;) {
    let best = Math.fround(-1e10);
    let bestIdx = -1;
    let bestId = -1;
    for (let i = 0; i < tokens.length - 1; i++) {
      const id = lookup.get(key(tokens[i]) + key(tokens[i + 1]));
      if (id !== undefined && t.scores[id] > best) {
        best = t.scores[id];
        bestIdx = i;
        bestId = id;
      }
    }
    if (bestIdx < 0) break;
    tokens.splice(bestIdx, 2, bestId);
  }
  return tokens;
}

describe('Llama2cTokenizer (stories260K tok512.bin)', () => {
  it('parses the 512-token vocabulary', () => {
    expect(tok.vocabSize).toBe(512);
    expect(tok.maxTokenLength).toBe(7);
    expect(tok.idToToken(0)).toBe('<unk>');
    expect(tok.idToToken(1)).toBe('\n<s>\n');
    expect(tok.idToToken(3)).toBe('<0x00>');
    expect(tok.tokenToId(' ')).toBe(410);
    expect(tok.specialTokens).toMatchObject({ unk: 0, bos: 1, eos: 2 });
  });

  it('matches llama2.c encode on 3,600 real sentences exactly', () => {
    const ref = fixtureJson<Reference>('llama2c-tok512-reference.json');
    expect(ref.sentences.length).toBeGreaterThan(3000);
    let mismatches = 0;
    ref.sentences.forEach((s, i) => {
      const ids = tok.encodeIds(s);
      if (ids.join(' ') !== ref.ids[i].join(' ')) mismatches++;
    });
    expect(mismatches).toBe(0);
    expect(tok.encodeIds('Once upon a time')).toEqual([1, 403, 407, 261, 378]);
  });

  it('merges exactly like the rescan loop on adversarial random strings (ties, byte fallback)', () => {
    const rng = new Rng(7);
    const alphabet = ['a', 'b', ' ', 'e', 'h', 't', 'é', '世', '🙂', '\n'];
    for (let n = 0; n < 300; n++) {
      let s = '';
      const len = 1 + rng.int(40);
      for (let i = 0; i < len; i++) s += alphabet[rng.int(alphabet.length)];
      expect(tok.pieces(s).ids).toEqual(naiveEncode(tok, s));
    }
  });

  it('decodes like llama2.c: leading space stripped after BOS, byte pieces as bytes', () => {
    const ref = fixtureJson<Reference>('llama2c-tok512-reference.json');
    for (const s of ref.sentences) expect(tok.decode(tok.encodeIds(s))).toBe(s);
    expect(new TextDecoder().decode(tok.decodePiece(1, 403))).toBe('Once');
    expect(new TextDecoder().decode(tok.decodePiece(378, 403))).toBe(' Once');
    expect(tok.decodePiece(5, 3 + 0xe4)).toEqual(Uint8Array.of(0xe4));
  });

  it('drops what safe_printf drops when asked for printable output', () => {
    const ids = [1, ...tok.pieces('a').ids, 3 + 0x07, 3 + 0x0a, 3 + 0xc3];
    expect(tok.decode(ids)).toBe('a\u0007\n\ufffd');
    expect(tok.decode(ids, { printable: true })).toBe('a\n');
  });

  it('encodes an empty text to BOS only, and can add EOS or nothing', () => {
    expect(tok.encodeIds('')).toEqual([1]);
    expect(tok.encodeIds('hi', { addSpecialTokens: false })).toEqual(tok.pieces('hi').ids);
    const withEos = Llama2cTokenizer.fromBytes(tok.toBytes(), { addEos: true });
    expect(withEos.encodeIds('hi').at(-1)).toBe(2);
  });

  it('reports offsets into the input text', () => {
    const text = 'Lily saw 世界.';
    const enc = tok.encode(text);
    for (let i = 0; i < enc.ids.length; i++) {
      const [a, b] = enc.offsets[i];
      if (enc.specialTokensMask[i]) continue;
      const piece = new TextDecoder().decode(tok.decodePiece(-1, enc.ids[i]));
      if (!/^<0x/.test(enc.tokens[i]) && piece.trim())
        expect(text.slice(a, b).trim()).toBe(piece.trim());
    }
  });

  it('round-trips tokenizer.bin bytes', async () => {
    const bytes = await readAsset('llama2c/stories260K/tok512.bin');
    expect(Buffer.from(tok.toBytes()).equals(Buffer.from(bytes))).toBe(true);
  });

  it('rejects a truncated file naming the token and byte offset', async () => {
    const bytes = await readAsset('llama2c/stories260K/tok512.bin');
    const cut = bytes.slice(0, 1000);
    expect(() => Llama2cTokenizer.fromBytes(cut, { where: 'tok512.bin' })).toThrow(FormatError);
    expect(() => Llama2cTokenizer.fromBytes(cut, { where: 'tok512.bin' })).toThrow(
      /tok512\.bin: token \d+ at byte \d+/,
    );
    expect(() => Llama2cTokenizer.fromBytes(bytes, { vocabSize: 600 })).toThrow(
      /expected 600 tokens, file holds 512/,
    );
  });
});

describe('bundled stories260K files', () => {
  it('loads the checkpoints, tokenizer and reference generations', async () => {
    const files = await loadStories260K();
    expect(files.legacy.byteLength).toBe(1056540);
    expect(files.v1.byteLength).toBe(1040384);
    const header = new Int32Array(files.legacy.buffer, files.legacy.byteOffset, 7);
    expect([...header]).toEqual([64, 172, 5, 8, 4, 512, 512]);
    const v1 = new DataView(files.v1.buffer, files.v1.byteOffset, 8);
    expect(v1.getUint32(0, true)).toBe(0x616b3432); // "ak42", llama2.c export v1 magic
    expect(v1.getInt32(4, true)).toBe(1);
    expect(files.expected).toHaveLength(5);
    expect(files.expected[0]).toMatchObject({ temperature: 0, steps: 200, prompt: '' });
    expect(
      files.expected[0].text.startsWith('Once upon a time, there was a little girl named Lily.'),
    ).toBe(true);
    expect(files.expected[3]).toMatchObject({
      temperature: 1,
      topp: 0.95,
      seed: 42,
      prompt: 'There was a big',
    });
    expect(files.expected[1]).toMatchObject({ topp: 1, seed: 42 });
    expect(files.expected[4]).toMatchObject({
      temperature: 0,
      steps: 200,
      text: files.expected[0].text,
    });
    // The greedy reference round-trips through the tokenizer.
    const tok = await loadStories260KTokenizer();
    expect(tok.decode(tok.encodeIds(files.expected[0].text))).toBe(files.expected[0].text);
  });
});
