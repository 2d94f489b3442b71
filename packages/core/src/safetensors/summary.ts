import type { SafetensorsDType } from './dtypes.js';
import type { SafetensorsHeader } from './header.js';

export interface SafetensorsSummaryRow {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  /** Element count (product of the shape; 1 for a scalar). */
  parameters: number;
  bytes: number;
  /** Byte range in the data section, end exclusive. */
  offsets: [number, number];
}

export interface SafetensorsTotals {
  tensors: number;
  parameters: number;
  bytes: number;
}

export interface SafetensorsSummary {
  /** Whole file: 8 + header + data. */
  fileSize: number;
  headerSize: number;
  metadata: Record<string, string>;
  /** In data order. */
  tensors: SafetensorsSummaryRow[];
  totals: SafetensorsTotals;
  /** Totals per dtype, in order of first appearance. */
  byDtype: Partial<Record<SafetensorsDType, SafetensorsTotals>>;
}

/**
 * What `kd inspect` shows: per-tensor sizes and totals, computed from the
 * validated header alone (so it costs nothing on a 100 GB file).
 */
export function summarizeSafetensors(header: SafetensorsHeader): SafetensorsSummary {
  const tensors: SafetensorsSummaryRow[] = [];
  const totals: SafetensorsTotals = { tensors: 0, parameters: 0, bytes: 0 };
  const byDtype: SafetensorsSummary['byDtype'] = {};
  for (const [name, e] of Object.entries(header.entries)) {
    const parameters = e.shape.reduce((a, d) => a * d, 1);
    const bytes = e.offsets[1] - e.offsets[0];
    tensors.push({
      name,
      dtype: e.dtype,
      shape: [...e.shape],
      parameters,
      bytes,
      offsets: [...e.offsets],
    });
    const d = (byDtype[e.dtype] ??= { tensors: 0, parameters: 0, bytes: 0 });
    for (const t of [totals, d]) {
      t.tensors++;
      t.parameters += parameters;
      t.bytes += bytes;
    }
  }
  return {
    fileSize: header.dataOffset + header.dataSize,
    headerSize: header.headerSize,
    metadata: { ...header.metadata },
    tensors,
    totals,
    byDtype,
  };
}
