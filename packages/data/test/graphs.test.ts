import { FormatError } from '@kd/core';
import { describe, expect, it } from 'vitest';
import {
  buildKnowledgeGraph,
  knownTails,
  loadKnowledgeGraph,
  loadPlanetoid,
  parsePlanetoid,
  parseTriples,
  planetoidDenseFeatures,
  planetoidEdgeIndex,
  streamTriples,
  withInverseTriples,
} from '../src/index.js';
import { fixture } from './helpers.js';

describe('knowledge-graph triples', () => {
  it.each([
    ['kinship', 104, 25, [8544, 1068, 1074]],
    ['umls', 135, 46, [5216, 652, 661]],
    ['nations', 14, 55, [1592, 199, 201]],
  ] as const)('%s: %i entities, %i relations, full splits', async (name, e, r, sizes) => {
    const kg = await loadKnowledgeGraph(name);
    expect(kg.entities).toHaveLength(e);
    expect(kg.relations).toHaveLength(r);
    expect([kg.train.length / 3, kg.valid.length / 3, kg.test.length / 3]).toEqual(sizes);
    // ids decode back to the names of the file's first triple
    const [h, rel, t] = [
      kg.entities[kg.train[0]],
      kg.relations[kg.train[1]],
      kg.entities[kg.train[2]],
    ];
    expect([h, rel, t].every((x) => typeof x === 'string' && x.length > 0)).toBe(true);
    expect(kg.entities).toEqual([...kg.entities].sort());
  });

  it('reads WN18RR and FB15k-237 slices (the full files are read from a folder at run time)', () => {
    const wn = parseTriples(fixture('kg/wn18rr/train.txt').toString(), {
      file: 'wn18rr/train.txt',
    });
    expect(wn).toHaveLength(300);
    expect(wn[0]).toEqual(['00260881', '_hypernym', '00260622']);
    const fb = parseTriples(fixture('kg/fb15k-237/valid.txt').toString());
    expect(fb[0]).toEqual(['/m/07pd_j', '/film/film/genre', '/m/02l7c8']);
    const kg = buildKnowledgeGraph({
      train: wn,
      valid: parseTriples(fixture('kg/wn18rr/valid.txt').toString()),
    });
    expect(kg.relations.every((r) => r.startsWith('_'))).toBe(true);
  });

  it('streams triples, adds inverse relations and indexes known tails for filtered ranking', async () => {
    const text = fixture('kg/fb15k-237/test.txt');
    const streamed = [];
    for await (const t of streamTriples([text.subarray(0, 1000), text.subarray(1000)]))
      streamed.push(t);
    expect(streamed).toEqual(parseTriples(text.toString()));
    const kg = buildKnowledgeGraph({ train: streamed });
    const R = kg.relations.length;
    const aug = withInverseTriples(kg.train, R);
    expect(aug.length).toBe(2 * kg.train.length);
    expect([aug[kg.train.length], aug[kg.train.length + 1], aug[kg.train.length + 2]]).toEqual([
      kg.train[2],
      kg.train[1] + R,
      kg.train[0],
    ]);
    const tails = knownTails(kg, [aug]);
    expect(tails.get(kg.train[0] * 2 * R + kg.train[1])?.has(kg.train[2])).toBe(true);
    expect(tails.get(kg.train[2] * 2 * R + kg.train[1] + R)?.has(kg.train[0])).toBe(true);
  });

  it('rejects a line that is not head<TAB>relation<TAB>tail', () => {
    expect(() => parseTriples('a\tb\tc\na b c\n', { file: 'kg/train.txt' })).toThrow(FormatError);
    expect(() => parseTriples('a\tb\tc\na b c\n', { file: 'kg/train.txt' })).toThrow(
      /^kg\/train\.txt:2: expected 3 non-empty tab-separated fields/,
    );
  });
});

describe('Planetoid Cora / CiteSeer', () => {
  it('Cora: 2,708 nodes, 1,433 features, 7 classes, 5,278 edges, public split 140/500/1000', async () => {
    const g = await loadPlanetoid('cora');
    expect([g.numNodes, g.numFeatures, g.numClasses]).toEqual([2708, 1433, 7]);
    expect(g.edges.src.length).toBe(5278);
    expect([g.trainIdx.length, g.valIdx.length, g.testIdx.length]).toEqual([140, 500, 1000]);
    expect(g.features.indices.length).toBe(49216);
    expect(
      Array.from(g.features.indices.subarray(g.features.indptr[0], g.features.indptr[1])),
    ).toEqual([19, 81, 146, 315, 774, 877, 1194, 1247, 1274]);
    // public split: 20 training nodes per class
    const perClass = new Array(7).fill(0);
    for (const i of g.trainIdx) perClass[g.labels[i]]++;
    expect(perClass).toEqual(new Array(7).fill(20));
    const ei = planetoidEdgeIndex(g, { selfLoops: true });
    expect(ei.src.length).toBe(2 * 5278 + 2708);
    const x = planetoidDenseFeatures(g, { rowNormalize: true });
    let row0 = 0;
    for (let j = 0; j < 1433; j++) row0 += x[j];
    expect(row0).toBeCloseTo(1, 6);
  });

  it('CiteSeer: 3,327 nodes, 3,703 features, 6 classes, 15 unlabelled isolated nodes', async () => {
    const g = await loadPlanetoid('citeseer');
    expect([g.numNodes, g.numFeatures, g.numClasses]).toEqual([3327, 3703, 6]);
    expect(g.labels.filter((l) => l === -1).length).toBe(15);
    expect(g.features.indices.length).toBe(105165);
    expect([g.trainIdx.length, g.valIdx.length, g.testIdx.length]).toEqual([120, 500, 1000]);
  });

  it('rejects an edge out of order or a bad split name, with file and line', () => {
    const files = {
      features: '0\t1\n1\t0\n',
      labels: '0\t0\n1\t1\n',
      edges: '0\t1\n',
      split: '# c\n0\ttrain\n1\tval\n',
    };
    expect(parsePlanetoid(files, { name: 'tiny', numFeatures: 2 }).numNodes).toBe(2);
    expect(() =>
      parsePlanetoid({ ...files, edges: '1\t0\n' }, { name: 'tiny', numFeatures: 2 }),
    ).toThrow(/tiny\/edges\.txt:1: expected i < j < 2/);
    expect(() =>
      parsePlanetoid({ ...files, split: '0\tdev\n' }, { name: 'tiny', numFeatures: 2 }),
    ).toThrow(/tiny\/split\.txt:1: expected node<TAB>train\|val\|test/);
    expect(() =>
      parsePlanetoid({ ...files, features: '0\t1\n1\t5\n' }, { name: 'tiny', numFeatures: 2 }),
    ).toThrow(/tiny\/features\.txt:2: expected feature indices < 2/);
  });
});
