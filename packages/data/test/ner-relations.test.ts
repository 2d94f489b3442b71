import { FormatError } from '@kd/core';
import { describe, expect, it } from 'vitest';
import {
  entitiesToBio,
  iob2Spans,
  loadConll04,
  loadUnerEnEwt,
  loadWnut17,
  parseConll,
  parseSpert,
  streamConll,
  tagVocabulary,
} from '../src/index.js';

describe('CoNLL04 (SpERT layout)', () => {
  it('reads the full 922/231/288 split with 4 entity and 5 relation types', async () => {
    const ds = await loadConll04();
    expect([ds.train.length, ds.validation.length, ds.test.length]).toEqual([922, 231, 288]);
    expect(ds.types.entities).toEqual(['Loc', 'Org', 'Peop', 'Other']);
    expect(ds.types.relations).toEqual([
      'Work_For',
      'Kill',
      'OrgBased_In',
      'Live_In',
      'Located_In',
    ]);
    const count = (docs: typeof ds.train, k: 'entities' | 'relations') =>
      docs.reduce((n, d) => n + d[k].length, 0);
    expect([
      count(ds.train, 'entities'),
      count(ds.validation, 'entities'),
      count(ds.test, 'entities'),
    ]).toEqual([3377, 893, 1079]);
    expect([
      count(ds.train, 'relations'),
      count(ds.validation, 'relations'),
      count(ds.test, 'relations'),
    ]).toEqual([1283, 343, 422]);
    const d0 = ds.train[0];
    expect(d0.tokens.slice(d0.entities[0].start, d0.entities[0].end)).toEqual(['U.S.']);
    expect(d0.relations[0]).toEqual({ type: 'OrgBased_In', head: 2, tail: 1 });
    expect(entitiesToBio(d0).slice(9, 13)).toEqual(['B-Loc', 'B-Org', 'I-Org', 'I-Org']);
  });

  it('rejects spans outside the tokens and relations to missing entities', () => {
    const doc = (e: object, r: object[] = []) =>
      JSON.stringify([{ tokens: ['a', 'b'], entities: [e], relations: r }]);
    expect(() => parseSpert(doc({ type: 'Loc', start: 1, end: 3 }), { file: 'c.json' })).toThrow(
      /c\.json: \[0\]\.entities\[0\]: expected 0 ≤ start < end ≤ 2/,
    );
    expect(() =>
      parseSpert(doc({ type: 'Loc', start: 0, end: 1 }, [{ type: 'Kill', head: 0, tail: 4 }])),
    ).toThrow(/relations\[0\]\.tail: expected an entity index in 0\.\.0, got 4/);
  });
});

describe('IOB2 NER files', () => {
  it('WNUT-17: full dev (1,009 sentences, 15,733 tokens) with tab-only separator lines in train', async () => {
    const dev = await loadWnut17('validation');
    expect(dev).toHaveLength(1009);
    expect(dev.reduce((n, s) => n + s.tokens.length, 0)).toBe(15733);
    const train = await loadWnut17('train');
    expect(train).toHaveLength(1000);
    expect(train[0].tokens[0]).toBe('@paulwalk');
    expect(tagVocabulary([...train, ...dev])).toEqual([
      'O',
      ...['corporation', 'creative-work', 'group', 'location', 'person', 'product'].flatMap((t) => [
        `B-${t}`,
        `I-${t}`,
      ]),
    ]);
  });

  it('UNER English-EWT: CoNLL-U comments, token in column 2, tag in column 3', async () => {
    const dev = await loadUnerEnEwt('validation');
    expect(dev).toHaveLength(500);
    expect(dev[0].id).toBe('answers-20070404104007AAY1Chs_ans-0001');
    expect(dev[0].text?.startsWith('where can I get morcillas in tampa bay')).toBe(true);
    expect(dev[0].tokens.slice(0, 3)).toEqual(['where', 'can', 'I']);
    expect(iob2Spans(dev[0].tags)).toContainEqual({ type: 'LOC', start: 6, end: 8 });
  });

  it('streams the same sentences and rejects a bad tag or column count', async () => {
    const text = 'a\tO\nb\tB-x\n\t\nc\tI-x\n';
    const got = [];
    for await (const s of streamConll([text])) got.push(s);
    expect(got).toEqual(parseConll(text));
    expect(got).toHaveLength(2);
    expect(() => parseConll('a\tO\nb\tX-y\n', { file: 'n.conll' })).toThrow(FormatError);
    expect(() => parseConll('a\tO\nb\tX-y\n', { file: 'n.conll' })).toThrow(
      /n\.conll:2: expected an IOB2 tag/,
    );
    expect(() => parseConll('a\tO\nb\tc\tO\n', { file: 'n.conll' })).toThrow(
      /n\.conll:2: expected 2 tab-separated columns/,
    );
  });

  it('iob2Spans treats a stray I- as a new span (seqeval lenient mode)', () => {
    expect(iob2Spans(['B-a', 'I-a', 'O', 'I-b', 'I-b', 'B-b', 'I-a'])).toEqual([
      { type: 'a', start: 0, end: 2 },
      { type: 'b', start: 3, end: 5 },
      { type: 'b', start: 5, end: 6 },
      { type: 'a', start: 6, end: 7 },
    ]);
  });
});
