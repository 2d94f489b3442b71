import { FormatError } from '@kd/core';
import { parseJson } from '../io/lines.js';

/** An entity mention: token span `[start, end)` and type. */
export interface EntityMention {
  type: string;
  start: number;
  end: number;
}
/** A directed relation between two entity mentions (indices into `entities`). */
export interface RelationMention {
  type: string;
  head: number;
  tail: number;
}
export interface RelationDocument {
  tokens: string[];
  entities: EntityMention[];
  relations: RelationMention[];
  origId?: string | number;
}
/** SpERT's `*_types.json`: entity and relation type names (with descriptions, and symmetry for relations). */
export interface RelationTypes {
  entities: string[];
  relations: string[];
  symmetric: Set<string>;
  verbose: Map<string, string>;
}

/** Parses SpERT's types file (`{ entities: { Loc: { short, verbose } }, relations: { Work_For: { …, symmetric } } }`). */
export function parseRelationTypes(text: string, options: { file?: string } = {}): RelationTypes {
  const file = options.file ?? 'types.json';
  const root = parseJson(text, file, 'a types object { entities, relations }') as Record<
    string,
    Record<string, { verbose?: string; symmetric?: boolean }>
  >;
  if (!root || typeof root.entities !== 'object' || typeof root.relations !== 'object') {
    throw new FormatError('expected an object with "entities" and "relations" maps', {
      where: file,
    });
  }
  const verbose = new Map<string, string>();
  const symmetric = new Set<string>();
  for (const [k, v] of Object.entries(root.entities)) verbose.set(k, v?.verbose ?? k);
  for (const [k, v] of Object.entries(root.relations)) {
    verbose.set(k, v?.verbose ?? k);
    if (v?.symmetric) symmetric.add(k);
  }
  return {
    entities: Object.keys(root.entities),
    relations: Object.keys(root.relations),
    symmetric,
    verbose,
  };
}

/**
 * Parses a SpERT-layout JSON file (CoNLL04, SciERC, ADE):
 * `[{ tokens, entities: [{ type, start, end }], relations: [{ type, head, tail }], orig_id }]`.
 * Spans must lie inside the tokens (`end` exclusive), relation ends must name
 * existing entities, and with `types` every type must be declared.
 */
export function parseSpert(
  text: string,
  options: { file?: string; types?: RelationTypes } = {},
): RelationDocument[] {
  const file = options.file ?? 'spert.json';
  const root = parseJson(text, file, 'an array of documents');
  if (!Array.isArray(root))
    throw new FormatError('expected a JSON array of documents', { where: file });
  const entTypes = options.types ? new Set(options.types.entities) : undefined;
  const relTypes = options.types ? new Set(options.types.relations) : undefined;
  return root.map((doc: Record<string, unknown>, d: number): RelationDocument => {
    const fail = (path: string, expected: string) =>
      new FormatError(
        `[${d}]${path}${typeof doc?.orig_id === 'number' || typeof doc?.orig_id === 'string' ? ` (orig_id ${doc.orig_id})` : ''}: expected ${expected}`,
        { where: file },
      );
    if (!doc || !Array.isArray(doc.tokens) || !doc.tokens.every((t) => typeof t === 'string'))
      throw fail('.tokens', 'an array of strings');
    const tokens = doc.tokens as string[];
    if (!Array.isArray(doc.entities)) throw fail('.entities', 'an array');
    if (!Array.isArray(doc.relations)) throw fail('.relations', 'an array');
    const entities = doc.entities.map((e: Record<string, unknown>, i: number): EntityMention => {
      const { type, start, end } = e ?? {};
      if (typeof type !== 'string') throw fail(`.entities[${i}].type`, 'a string');
      if (entTypes && !entTypes.has(type))
        throw fail(
          `.entities[${i}].type`,
          `one of ${[...entTypes].join(', ')}, got ${JSON.stringify(type)}`,
        );
      if (
        !Number.isInteger(start) ||
        !Number.isInteger(end) ||
        (start as number) < 0 ||
        (end as number) <= (start as number) ||
        (end as number) > tokens.length
      ) {
        throw fail(
          `.entities[${i}]`,
          `0 ≤ start < end ≤ ${tokens.length} (end exclusive), got start=${start} end=${end}`,
        );
      }
      return { type, start: start as number, end: end as number };
    });
    const relations = doc.relations.map(
      (r: Record<string, unknown>, i: number): RelationMention => {
        const { type, head, tail } = r ?? {};
        if (typeof type !== 'string') throw fail(`.relations[${i}].type`, 'a string');
        if (relTypes && !relTypes.has(type))
          throw fail(
            `.relations[${i}].type`,
            `one of ${[...relTypes].join(', ')}, got ${JSON.stringify(type)}`,
          );
        for (const [k, v] of [
          ['head', head],
          ['tail', tail],
        ] as const) {
          if (!Number.isInteger(v) || (v as number) < 0 || (v as number) >= entities.length) {
            throw fail(
              `.relations[${i}].${k}`,
              `an entity index in 0..${entities.length - 1}, got ${v}`,
            );
          }
        }
        return { type, head: head as number, tail: tail as number };
      },
    );
    const out: RelationDocument = { tokens, entities, relations };
    if (typeof doc.orig_id === 'string' || typeof doc.orig_id === 'number')
      out.origId = doc.orig_id;
    return out;
  });
}

/** BIO tags per token for the entities of a document (entities must not overlap). */
export function entitiesToBio(doc: RelationDocument): string[] {
  const tags = new Array<string>(doc.tokens.length).fill('O');
  for (const e of doc.entities) {
    for (let i = e.start; i < e.end; i++) {
      if (tags[i] !== 'O')
        throw new FormatError(`entities overlap at token ${i}; BIO cannot represent nested spans`);
      tags[i] = `${i === e.start ? 'B' : 'I'}-${e.type}`;
    }
  }
  return tags;
}
