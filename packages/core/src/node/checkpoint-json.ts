import { CheckpointError } from '../errors.js';

/**
 * Lossless JSON for the non-tensor parts of a checkpoint (RNG state, recipe,
 * optimizer scalars, loss curves). Plain `JSON.stringify` turns NaN and
 * ±Infinity into null and -0 into 0, drops typed arrays' types and silently
 * writes Maps as `{}`; a resumed run would then differ from one that never
 * stopped. Values JSON cannot hold exactly are written as tagged objects
 * `{ "__kd__": kind, ... }`; anything that cannot be stored (functions,
 * Maps, class instances, cycles) is refused at save time, naming its path.
 */

const TAG = '__kd__';

type TypedArrayName =
  | 'Float32Array'
  | 'Float64Array'
  | 'Int8Array'
  | 'Int16Array'
  | 'Int32Array'
  | 'Uint8Array'
  | 'Uint8ClampedArray'
  | 'Uint16Array'
  | 'Uint32Array'
  | 'BigInt64Array'
  | 'BigUint64Array';

const TYPED: Record<
  TypedArrayName,
  new (
    buffer: ArrayBuffer,
    byteOffset?: number,
    length?: number,
  ) => ArrayBufferView & { length: number }
> = {
  Float32Array,
  Float64Array,
  Int8Array,
  Int16Array,
  Int32Array,
  Uint8Array,
  Uint8ClampedArray,
  Uint16Array,
  Uint32Array,
  BigInt64Array,
  BigUint64Array,
};

function fail(path: string, message: string): never {
  throw new CheckpointError(`${path || '(root)'}: ${message}`);
}

function encodeNumber(x: number): unknown {
  if (Number.isNaN(x)) return { [TAG]: 'number', value: 'NaN' };
  if (x === Infinity) return { [TAG]: 'number', value: 'Infinity' };
  if (x === -Infinity) return { [TAG]: 'number', value: '-Infinity' };
  if (Object.is(x, -0)) return { [TAG]: 'number', value: '-0' };
  return x;
}

/** A JSON-safe copy of `value` (see the module comment). */
export function toJsonValue(value: unknown, path = '', ancestors = new Set<object>()): unknown {
  switch (typeof value) {
    case 'number':
      return encodeNumber(value);
    case 'string':
    case 'boolean':
      return value;
    case 'bigint':
      return { [TAG]: 'bigint', value: value.toString() };
    case 'undefined':
      return { [TAG]: 'undefined' };
    case 'object':
      break;
    default:
      fail(path, `cannot store a ${typeof value} in a checkpoint`);
  }
  if (value === null) return null;
  if (ancestors.has(value)) fail(path, 'cannot store a circular reference');
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const name = value.constructor.name as TypedArrayName;
    if (!(name in TYPED)) fail(path, `cannot store a ${name}`);
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return { [TAG]: name, base64: bytes.toString('base64') };
  }
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      return value.map((v, i) => toJsonValue(v, `${path}[${i}]`, ancestors));
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      fail(
        path,
        `cannot store a ${value.constructor?.name ?? 'class instance'}; use plain objects, arrays and typed arrays`,
      );
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const p = path ? `${path}.${k}` : k;
      if (k === TAG) fail(p, `the key "${TAG}" is reserved`);
      // Like JSON (and unlike structuredClone) an undefined property is
      // simply absent; `undefined` in an array is kept.
      if (v === undefined) continue;
      Object.defineProperty(out, k, {
        value: toJsonValue(v, p, ancestors),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  } finally {
    ancestors.delete(value);
  }
}

/** Inverse of `toJsonValue`; `where` names the file in errors. */
export function fromJsonValue(value: unknown, where: string, path = ''): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v, i) => fromJsonValue(v, where, `${path}[${i}]`));
  const obj = value as Record<string, unknown>;
  if (Object.hasOwn(obj, TAG)) {
    const kind = obj[TAG];
    const bad = () =>
      new CheckpointError(`${path || '(root)'}: malformed tagged value ${JSON.stringify(obj)}`, {
        where,
      });
    if (kind === 'undefined') return undefined;
    if (kind === 'number') {
      const map: Record<string, number> = {
        NaN: Number.NaN,
        Infinity,
        '-Infinity': -Infinity,
        '-0': -0,
      };
      if (typeof obj.value !== 'string' || !(obj.value in map)) throw bad();
      return map[obj.value];
    }
    if (kind === 'bigint') {
      if (typeof obj.value !== 'string' || !/^-?[0-9]+$/.test(obj.value)) throw bad();
      return BigInt(obj.value);
    }
    if (typeof kind === 'string' && kind in TYPED && typeof obj.base64 === 'string') {
      const Ctor = TYPED[kind as TypedArrayName];
      const bytes = Buffer.from(obj.base64, 'base64');
      const size = (Ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
      if (bytes.length % size !== 0) throw bad();
      const copy = new Uint8Array(bytes.length);
      copy.set(bytes);
      return new Ctor(copy.buffer, 0, bytes.length / size);
    }
    throw bad();
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    Object.defineProperty(out, k, {
      value: fromJsonValue(v, where, path ? `${path}.${k}` : k),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
