import { ValidationError } from '@kd/core';

/** An entity span over words `[start, end)`, SpERT's layout. */
export interface Span {
  start: number;
  end: number;
  type: string;
}

/** IOB2 tag names for entity types: `O`, then `B-T`, `I-T` per type. */
export function tagNames(entityTypes: readonly string[]): string[] {
  return ['O', ...entityTypes.flatMap((t) => [`B-${t}`, `I-${t}`])];
}

/** IOB2 tag ids of `length` words from non-overlapping spans. */
export function spansToTags(
  spans: readonly Span[],
  length: number,
  entityTypes: readonly string[],
): Int32Array {
  const tags = new Int32Array(length);
  for (const s of spans) {
    const t = entityTypes.indexOf(s.type);
    if (t < 0)
      throw new ValidationError(
        `unknown entity type "${s.type}"; known: ${entityTypes.join(', ')}`,
      );
    if (s.start < 0 || s.end > length || s.start >= s.end) {
      throw new ValidationError(`span [${s.start}, ${s.end}) is not inside ${length} words`);
    }
    tags[s.start] = 1 + 2 * t;
    for (let i = s.start + 1; i < s.end; i++) tags[i] = 2 + 2 * t;
  }
  return tags;
}

/**
 * Spans from IOB2 tag ids. An `I-T` that does not continue a `T` entity
 * starts one (the lenient reading conlleval uses), so every tagged word
 * belongs to some span.
 */
export function tagsToSpans(tags: ArrayLike<number>, entityTypes: readonly string[]): Span[] {
  const out: Span[] = [];
  let cur: Span | undefined;
  for (let i = 0; i < tags.length; i++) {
    const tag = tags[i];
    if (tag === 0) {
      cur = undefined;
      continue;
    }
    const type = entityTypes[Math.floor((tag - 1) / 2)];
    const inside = (tag - 1) % 2 === 1;
    if (inside && cur && cur.type === type && cur.end === i) {
      cur.end = i + 1;
    } else {
      cur = { start: i, end: i + 1, type };
      out.push(cur);
    }
  }
  return out;
}
