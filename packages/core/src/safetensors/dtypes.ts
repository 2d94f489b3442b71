/**
 * The dtypes of the safetensors format, in the order of the reference
 * implementation's `Dtype` enum (huggingface/safetensors `tensor.rs`). The
 * writer sorts tensors by this order, descending, so that every tensor
 * starts naturally aligned; we keep the same order to write the same bytes.
 */
export const SAFETENSORS_DTYPES = [
  'BOOL',
  'F4',
  'F6_E2M3',
  'F6_E3M2',
  'U8',
  'I8',
  'F8_E5M2',
  'F8_E4M3',
  'F8_E8M0',
  'F8_E4M3FNUZ',
  'F8_E5M2FNUZ',
  'I16',
  'U16',
  'F16',
  'BF16',
  'I32',
  'U32',
  'F32',
  'C64',
  'F64',
  'I64',
  'U64',
] as const;

/**
 * Every dtype a safetensors header may name. The first fifteen are the ones
 * PyTorch checkpoints use; F4/F6 (sub-byte, packed), F8_E8M0, the FNUZ
 * float8 variants and C64 come from newer writers and are read too.
 */
export type SafetensorsDType =
  | 'BOOL'
  | 'U8'
  | 'I8'
  | 'I16'
  | 'U16'
  | 'F16'
  | 'BF16'
  | 'I32'
  | 'U32'
  | 'F32'
  | 'F64'
  | 'I64'
  | 'U64'
  | 'F8_E4M3'
  | 'F8_E5M2'
  | 'F4'
  | 'F6_E2M3'
  | 'F6_E3M2'
  | 'F8_E8M0'
  | 'F8_E4M3FNUZ'
  | 'F8_E5M2FNUZ'
  | 'C64';

/** Bits per element, as in the reference `Dtype::bitsize`. */
const BITS: Record<SafetensorsDType, number> = {
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  F8_E4M3FNUZ: 8,
  F8_E5M2FNUZ: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
};

const RANK = new Map<string, number>(SAFETENSORS_DTYPES.map((d, i) => [d, i]));

export function isSafetensorsDType(value: unknown): value is SafetensorsDType {
  return typeof value === 'string' && RANK.has(value);
}

export function dtypeBits(dtype: SafetensorsDType): number {
  return BITS[dtype];
}

/** Position in the reference enum (the writer's sort key). */
export function dtypeRank(dtype: SafetensorsDType): number {
  return RANK.get(dtype)!;
}

/** Reduced-precision floats that decode to Float32Array unless kept raw. */
export const SMALL_FLOATS: ReadonlySet<SafetensorsDType> = new Set<SafetensorsDType>([
  'F16',
  'BF16',
  'F8_E4M3',
  'F8_E5M2',
  'F8_E8M0',
  'F8_E4M3FNUZ',
  'F8_E5M2FNUZ',
]);

/** Packed sub-byte dtypes: only raw access (`{ raw: true }`) is offered. */
export const SUB_BYTE: ReadonlySet<SafetensorsDType> = new Set<SafetensorsDType>([
  'F4',
  'F6_E2M3',
  'F6_E3M2',
]);
