import { describe, expect, it } from 'vitest';
import {
  filteredRank,
  getEntities,
  linkPrediction,
  metrics,
  relationExtraction,
  seqeval,
  strictEntities,
} from '../src/index.js';

describe('seqeval', () => {
  const yTrue = [
    ['O', 'O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'O'],
    ['B-PER', 'I-PER', 'O'],
  ];
  const yPred = [
    ['O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'I-MISC', 'O'],
    ['B-PER', 'I-PER', 'O'],
  ];

  it("HF evaluate's documented example (seqeval README)", () => {
    const r = seqeval(yPred, yTrue);
    expect(r.MISC).toEqual({ precision: 0, recall: 0, f1: 0, number: 1 });
    expect(r.PER).toEqual({ precision: 1, recall: 1, f1: 1, number: 1 });
    expect(r.overall_precision).toBe(0.5);
    expect(r.overall_recall).toBe(0.5);
    expect(r.overall_f1).toBe(0.5);
    expect(r.overall_accuracy).toBe(0.8);
  });

  it('get_entities: inclusive offsets, conlleval chunk rules across IOB1/IOB2/IOE/IOBES', () => {
    expect(getEntities(['B-PER', 'I-PER', 'O', 'B-LOC'])).toEqual([
      ['PER', 0, 1],
      ['LOC', 3, 3],
    ]);
    // IOB1: I- starts a chunk after O; B- of the same type splits.
    expect(getEntities(['I-PER', 'I-PER', 'B-PER', 'O'])).toEqual([
      ['PER', 0, 1],
      ['PER', 2, 2],
    ]);
    // A type change ends a chunk even inside I- tags.
    expect(getEntities(['B-PER', 'I-LOC', 'O'])).toEqual([
      ['PER', 0, 0],
      ['LOC', 1, 1],
    ]);
    expect(getEntities(['S-PER', 'B-LOC', 'E-LOC', 'O'])).toEqual([
      ['PER', 0, 0],
      ['LOC', 1, 2],
    ]);
    expect(getEntities(['PER-B', 'PER-I', 'O'], true)).toEqual([['PER', 0, 1]]);
  });

  it('strict mode keeps only well-formed entities (seqeval README: I-NP I-NP is no NP under IOB2)', () => {
    const t = [['B-NP', 'I-NP', 'O']];
    const p = [['I-NP', 'I-NP', 'O']];
    expect((seqeval(p, t).NP as { f1: number }).f1).toBe(1);
    expect((seqeval(p, t, { mode: 'strict', scheme: 'IOB2' }).NP as { f1: number }).f1).toBe(0);
    expect(strictEntities(['B-PER', 'I-PER', 'O', 'B-LOC'], 'IOB2')).toEqual([
      ['PER', 0, 2],
      ['LOC', 3, 4],
    ]);
    expect(strictEntities(['B-PER', 'E-PER', 'S-LOC', 'O'], 'IOBES')).toEqual([
      ['PER', 0, 2],
      ['LOC', 2, 3],
    ]);
    expect(strictEntities(['B-PER', 'L-PER', 'U-LOC'], 'BILOU')).toEqual([
      ['PER', 0, 2],
      ['LOC', 2, 3],
    ]);
    // An unterminated IOBES entity is not an entity.
    expect(strictEntities(['B-PER', 'I-PER', 'O'], 'IOBES')).toEqual([]);
    expect(() => strictEntities(['B-PER', 'E-PER'], 'IOB2')).toThrow(/invalid token/);
  });

  it('strict mode auto-detects the scheme from the references and zero_division applies per type', () => {
    const t = [['B-PER', 'E-PER', 'O', 'S-LOC']];
    const p = [['B-PER', 'E-PER', 'O', 'O']];
    const r = seqeval(p, t, { mode: 'strict', zero_division: 1 });
    expect(r.PER).toEqual({ precision: 1, recall: 1, f1: 1, number: 1 });
    expect(r.LOC).toEqual({ precision: 1, recall: 0, f1: 0, number: 1 });
    expect(r.overall_recall).toBe(0.5);
  });
});

describe('relation extraction (SpERT convention)', () => {
  const e = (start: number, end: number, type: string) => ({ start, end, type });
  const gold = [
    {
      entities: [e(0, 2, 'Peop'), e(5, 6, 'Loc'), e(8, 9, 'Org')],
      relations: [
        { head: e(0, 2, 'Peop'), tail: e(5, 6, 'Loc'), type: 'Live_In' },
        { head: e(0, 2, 'Peop'), tail: e(8, 9, 'Org'), type: 'Work_For' },
      ],
    },
    {
      entities: [e(1, 3, 'Org'), e(4, 5, 'Loc')],
      relations: [{ head: e(1, 3, 'Org'), tail: e(4, 5, 'Loc'), type: 'OrgBased_In' }],
    },
  ];
  const pred = [
    {
      entities: [e(0, 2, 'Peop'), e(5, 6, 'Org'), e(8, 9, 'Org')],
      relations: [
        // Right spans and relation type, wrong tail entity type: wrong under strict, right under boundaries.
        { head: e(0, 2, 'Peop'), tail: e(5, 6, 'Org'), type: 'Live_In' },
        { head: e(0, 2, 'Peop'), tail: e(8, 9, 'Org'), type: 'Work_For' },
        { head: e(8, 9, 'Org'), tail: e(5, 6, 'Org'), type: 'OrgBased_In' },
      ],
    },
    { entities: [e(1, 3, 'Org')], relations: [] },
  ];

  it('strict relations: per type counts, micro over tuples, macro over the types that occur', () => {
    const r = relationExtraction(pred, gold);
    // Live_In: tp0 fp1 fn1; Work_For: tp1; OrgBased_In: tp0 fp1 fn1.
    expect(r.per_type.Live_In).toEqual({ precision: 0, recall: 0, f1: 0, support: 1 });
    expect(r.per_type.Work_For).toEqual({ precision: 1, recall: 1, f1: 1, support: 1 });
    expect(r.precision).toBeCloseTo(1 / 3, 15);
    expect(r.recall).toBeCloseTo(1 / 3, 15);
    expect(r.f1).toBeCloseTo(1 / 3, 15);
    expect(r.macro_f1).toBeCloseTo(1 / 3, 15);
  });

  it('boundaries mode ignores entity types; entities target scores NER', () => {
    const r = relationExtraction(pred, gold, { mode: 'boundaries' });
    expect(r.per_type.Live_In.f1).toBe(1);
    expect(r.precision).toBeCloseTo(2 / 3, 15);
    expect(r.recall).toBeCloseTo(2 / 3, 15);
    const ner = relationExtraction(pred, gold, { target: 'entities' });
    // gold 5 entities, predicted 4, matching 3 (Peop, Org 8-9, Org 1-3).
    expect(ner.precision).toBeCloseTo(3 / 4, 15);
    expect(ner.recall).toBeCloseTo(3 / 5, 15);
  });

  it('duplicate predictions count once (set semantics); symmetric types ignore argument order', () => {
    const g = [{ relations: [{ head: e(0, 1, 'A'), tail: e(3, 4, 'A'), type: 'Sym' }] }];
    const p = [
      {
        relations: [
          { head: e(3, 4, 'A'), tail: e(0, 1, 'A'), type: 'Sym' },
          { head: e(3, 4, 'A'), tail: e(0, 1, 'A'), type: 'Sym' },
        ],
      },
    ];
    expect(relationExtraction(p, g).f1).toBe(0);
    expect(relationExtraction(p, g, { symmetric_types: ['Sym'] }).f1).toBe(1);
  });
});

describe('link prediction ranks', () => {
  it('optimistic / pessimistic / realistic ranks with filtering', () => {
    const s = [0.5, 0.9, 0.5, 0.1, 0.5];
    expect(filteredRank(s, 0, [1], 'optimistic')).toBe(1);
    expect(filteredRank(s, 0, [1], 'pessimistic')).toBe(3);
    expect(filteredRank(s, 0, [1], 'realistic')).toBe(2);
    expect(filteredRank(s, 0, [], 'realistic')).toBe(3);
    expect(filteredRank(s, 3, [], 'realistic')).toBe(5);
    // Distances: lower is better.
    expect(filteredRank(s, 3, [], 'realistic', false)).toBe(1);
  });

  it('MRR, MR and Hits@k agree with a brute-force recomputation; a constant model is not rewarded by default', () => {
    const scores = [
      [0.2, 0.8, 0.1, 0.8],
      [0.3, 0.3, 0.3, 0.3],
      [0.9, 0.1, 0.5, 0.7],
    ];
    const targets = [1, 2, 3];
    const filters = [[3], [], [0]];
    const r = linkPrediction({ scores, targets, filters }, { ks: [1, 2, 3] });
    // ranks: q0: target .8 vs {.2,.1} (3 filtered) -> 1; q1: 4 ties -> (1+4)/2 = 2.5; q2: .7 vs {.1,.5} -> 1.
    const ranks = [1, 2.5, 1];
    expect(r.mr).toBeCloseTo((1 + 2.5 + 1) / 3, 15);
    expect(r.mrr).toBeCloseTo(ranks.reduce((a, b) => a + 1 / b, 0) / 3, 15);
    expect(r.hits_at_1).toBeCloseTo(2 / 3, 15);
    expect(r.hits_at_3).toBe(1);
    expect(r.tie_policy).toBe('realistic');
    const constant = linkPrediction({ scores: [[1, 1, 1, 1]], targets: [0] });
    expect(constant.mrr).toBeCloseTo(1 / 2.5, 15);
    expect(
      linkPrediction({ scores: [[1, 1, 1, 1]], targets: [0] }, { tie_policy: 'optimistic' }).mrr,
    ).toBe(1);
    const acc = metrics.link_prediction.create({ ks: [1, 2, 3] }).accumulator();
    scores.forEach((row, i) => {
      acc.add({ scores: row, target: targets[i], filter: filters[i] });
    });
    expect(acc.compute()).toEqual(r);
  });
});
