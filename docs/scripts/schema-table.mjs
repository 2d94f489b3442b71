// JSON Schema (as zod 4's z.toJSONSchema writes it) to the rows of an option
// table: one row per option, nested objects flattened to dotted paths.

const SAFE_MAX = Number.MAX_SAFE_INTEGER;

/** Short, TypeScript-like spelling of a schema's type with its bounds. */
export function typeOf(schema) {
  if (schema === true || schema === undefined || Object.keys(schema).length === 0) return 'any';
  if (schema === false) return 'never';
  if (schema.anyOf || schema.oneOf) {
    const parts = (schema.anyOf ?? schema.oneOf).map(typeOf);
    return [...new Set(parts)].join(' | ');
  }
  if (schema.allOf) return schema.allOf.map(typeOf).join(' & ');
  if ('const' in schema) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : schema.type;
  switch (type) {
    case 'number':
    case 'integer':
      return withBounds(type, schema);
    case 'string':
      return withStringBounds(schema);
    case 'array': {
      if (schema.prefixItems) {
        const items = schema.prefixItems.map(typeOf);
        const rest = schema.items && schema.items !== false ? `, ...${typeOf(schema.items)}[]` : '';
        return `[${items.join(', ')}${rest}]`;
      }
      const item = typeOf(bare(schema.items));
      const inner = /[ |&]/.test(item) ? `(${item})[]` : `${item}[]`;
      const n = [];
      if (schema.minItems !== undefined && schema.minItems > 0)
        n.push(`≥ ${schema.minItems} items`);
      if (schema.maxItems !== undefined) n.push(`≤ ${schema.maxItems} items`);
      return n.length ? `${inner} (${n.join(', ')})` : inner;
    }
    case 'object': {
      if (schema.properties && Object.keys(schema.properties).length > 0) {
        const keys = Object.keys(schema.properties).map((k) =>
          (schema.required ?? []).includes(k) ? k : `${k}?`,
        );
        // Long objects get their own rows below; keep the type short.
        return keys.length <= 3 ? `{ ${keys.join(', ')} }` : 'object';
      }
      if (schema.additionalProperties !== undefined && schema.additionalProperties !== false) {
        const key = schema.propertyNames ? typeOf(schema.propertyNames) : 'string';
        return `Record<${key}, ${typeOf(schema.additionalProperties)}>`;
      }
      return 'object';
    }
    case 'null':
      return 'null';
    case 'boolean':
      return 'boolean';
    default:
      return type ?? 'any';
  }
}

/** An array's item type without its bounds (they go in the description). */
function bare(s) {
  if (!s || typeof s !== 'object' || !['number', 'integer', 'string'].includes(s.type)) return s;
  return { type: s.type };
}

function withBounds(type, s) {
  const b = [];
  if (s.minimum !== undefined && s.minimum > -SAFE_MAX) b.push(`≥ ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) b.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined && s.maximum < SAFE_MAX) b.push(`≤ ${s.maximum}`);
  if (s.exclusiveMaximum !== undefined) b.push(`< ${s.exclusiveMaximum}`);
  return b.length ? `${type} (${b.join(', ')})` : type;
}

function withStringBounds(s) {
  const b = [];
  if (s.minLength !== undefined && s.minLength > 1) b.push(`length ≥ ${s.minLength}`);
  if (s.minLength === 1) b.push('non-empty');
  if (s.maxLength !== undefined) b.push(`length ≤ ${s.maxLength}`);
  if (s.pattern) b.push(`matches /${s.pattern}/`);
  if (s.format) b.push(s.format);
  return b.length ? `string (${b.join(', ')})` : 'string';
}

/** The object schema inside `s` worth flattening (an object, or an array of objects). */
function nestedObject(s) {
  if (!s || typeof s !== 'object') return undefined;
  if (s.type === 'object' && s.properties && Object.keys(s.properties).length > 0) {
    return { schema: s, suffix: '' };
  }
  if (s.type === 'array' && s.items?.type === 'object' && s.items.properties) {
    return { schema: s.items, suffix: '[]' };
  }
  return undefined;
}

/**
 * Rows `{ name, type, required, default, description }` for an object
 * schema; object-valued options get their own rows (`model.hiddenSize`,
 * `optimizers[].id`) down to `depth` levels.
 */
export function optionRows(schema, { prefix = '', depth = 3 } = {}) {
  const rows = [];
  const props = schema?.properties ?? {};
  const required = new Set(schema?.required ?? []);
  for (const [key, prop] of Object.entries(props)) {
    const name = `${prefix}${key}`;
    rows.push({
      name,
      type: typeOf(prop),
      required: required.has(key) && !('default' in prop),
      default: 'default' in prop ? JSON.stringify(prop.default) : undefined,
      description: prop.description ?? '',
    });
    const nested = nestedObject(prop);
    if (nested && depth > 1) {
      rows.push(
        ...optionRows(nested.schema, { prefix: `${name}${nested.suffix}.`, depth: depth - 1 }),
      );
    }
  }
  return rows;
}

const cell = (text) => String(text).replaceAll('|', '\\|').replaceAll('\n', ' ');

/** Plain text for Markdown that Vue also parses: no tags, no interpolation. */
export const prose = (text) =>
  String(text).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** A Markdown table of the rows (or a sentence when there are none). */
export function optionTable(schema) {
  const rows = optionRows(schema);
  if (rows.length === 0) {
    return schema?.additionalProperties === false
      ? 'No options.'
      : 'Options are free-form (the schema does not list them).';
  }
  const lines = ['| option | type | default | description |', '| --- | --- | --- | --- |'];
  for (const r of rows) {
    const def =
      r.default !== undefined ? `\`${cell(r.default)}\`` : r.required ? '**required**' : '';
    lines.push(
      `| \`${cell(r.name)}\` | \`${cell(r.type)}\` | ${def} | ${cell(prose(r.description))} |`,
    );
  }
  return lines.join('\n');
}
