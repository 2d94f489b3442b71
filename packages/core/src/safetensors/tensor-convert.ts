import * as tf from '@tensorflow/tfjs-core';
import type { StoredTensor } from '../checkpoint-store.js';
import { DTypeError } from '../errors.js';
import { copyBytes } from './decode.js';
import { SMALL_FLOATS } from './dtypes.js';
import { decodeSmallFloats } from './small-floats.js';
import type { SafetensorsTensor } from './types.js';

/**
 * A tensor's values copied out of the backend (`dataSync` may hand back the
 * backend's own storage, which must not be shared).
 */
export function toStoredTensor(t: tf.Tensor): StoredTensor {
  if (t.dtype !== 'float32' && t.dtype !== 'int32' && t.dtype !== 'bool') {
    throw new DTypeError(`cannot store a ${t.dtype} tensor; expected float32, int32 or bool`);
  }
  const values = t.dataSync() as Float32Array | Int32Array | Uint8Array;
  return { dtype: t.dtype, shape: [...t.shape], data: copyArray(values) };
}

/**
 * A same-typed, bit-exact copy in a fresh buffer (`slice` on a Node Buffer,
 * a Uint8Array subclass, would return a view).
 */
function copyArray<T extends Float32Array | Int32Array | Uint8Array>(a: T): T {
  if (a instanceof Float32Array) return new Float32Array(a) as T;
  if (a instanceof Int32Array) return new Int32Array(a) as T;
  return copyBytes(a) as T;
}

function isStored(s: StoredTensor | SafetensorsTensor): s is StoredTensor {
  return s.dtype === 'float32' || s.dtype === 'int32' || s.dtype === 'bool';
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function toInt32(data: ArrayLike<number | bigint>, dtype: string): Int32Array {
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (v < INT32_MIN || v > INT32_MAX || (typeof data[i] === 'bigint' && BigInt(v) !== data[i])) {
      throw new DTypeError(
        `${dtype} value ${data[i]} at flat index ${i} does not fit the int32 tensors tfjs has`,
      );
    }
    out[i] = v;
  }
  return out;
}

/**
 * A tf.Tensor from stored or decoded values (copied, so later changes to
 * `s.data` do not reach it). Float dtypes become float32 (F64 is rounded:
 * tfjs has no float64), integer dtypes int32 (range-checked), BOOL bool and
 * C64 complex64.
 */
export function fromStoredTensor(s: StoredTensor | SafetensorsTensor): tf.Tensor {
  if (isStored(s)) return tf.tensor(copyArray(s.data), [...s.shape], s.dtype);
  const shape = [...s.shape];
  const { dtype, data } = s;
  switch (dtype) {
    case 'F32':
    case 'F64':
      return tf.tensor(
        data instanceof Float32Array ? data.slice() : Float32Array.from(data as ArrayLike<number>),
        shape,
        'float32',
      );
    case 'C64': {
      const d = data as Float32Array;
      const n = d.length / 2;
      const re = new Float32Array(n);
      const im = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        re[i] = d[2 * i];
        im[i] = d[2 * i + 1];
      }
      return tf.tidy(() => tf.complex(tf.tensor(re, shape), tf.tensor(im, shape)));
    }
    case 'BOOL':
      return tf.tensor(
        Uint8Array.from(data as Uint8Array, (v) => (v ? 1 : 0)),
        shape,
        'bool',
      );
    case 'I8':
    case 'U8':
    case 'I16':
    case 'U16':
    case 'I32':
    case 'U32':
    case 'I64':
    case 'U64':
      if (data instanceof Int32Array) return tf.tensor(data.slice(), shape, 'int32');
      return tf.tensor(toInt32(data as ArrayLike<number | bigint>, dtype), shape, 'int32');
    default: {
      if (SMALL_FLOATS.has(dtype)) {
        const values =
          data instanceof Uint16Array || data instanceof Uint8Array
            ? decodeSmallFloats(dtype, data)
            : Float32Array.from(data as ArrayLike<number>);
        return tf.tensor(values, shape, 'float32');
      }
      throw new DTypeError(`${dtype} tensors (packed sub-byte floats) have no tfjs equivalent`);
    }
  }
}
