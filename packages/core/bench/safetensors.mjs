// safetensors throughput on a ~100 MB file: kd's encoder, decoder and lazy
// file reader against the naive code people write first (JSON.parse the
// header, then a DataView loop per element), in the same run.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { report, time } from '../../../scripts/bench.mjs';
import { decodeSafetensors, encodeSafetensors, Rng } from '../dist/index.js';
import { readSafetensorsFile, SafetensorsFileReader } from '../dist/node/index.js';

const MB = 1e6;
const rng = new Rng(0);
const tensors = {};
// 24 × 1M float32 = ~100 MB, named like a transformer's weights.
for (let i = 0; i < 24; i++) {
  tensors[`encoder.layer.${i}.weight`] = {
    dtype: 'F32',
    shape: [1024, 1024],
    data: rng.uniformArray(1024 * 1024, -1, 1),
  };
}
const halfTensors = {};
for (let i = 0; i < 12; i++) {
  halfTensors[`layer.${i}.weight`] = {
    dtype: i % 2 ? 'BF16' : 'F16',
    shape: [1024, 1024],
    data: rng.uniformArray(1024 * 1024, -1, 1),
  };
}

// ── baselines ────────────────────────────────────────────────────────────
function naiveEncode(ts) {
  const names = Object.keys(ts).sort();
  const header = {};
  let offset = 0;
  for (const n of names) {
    const bytes = ts[n].data.length * 4;
    header[n] = { dtype: 'F32', shape: ts[n].shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  while (json.length % 8) json += ' ';
  const h = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + h.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  let at = 8 + h.length;
  for (const n of names) {
    for (const v of ts[n].data) {
      view.setFloat32(at, v, true);
      at += 4;
    }
  }
  return out;
}

function halfToFloat(h) {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? Number.NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function naiveDecode(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  const out = {};
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [b, end] = e.data_offsets;
    const size = e.dtype === 'F32' ? 4 : 2;
    const data = new Float32Array((end - b) / size);
    for (let i = 0; i < data.length; i++) {
      const at = 8 + n + b + i * size;
      if (e.dtype === 'F32') data[i] = view.getFloat32(at, true);
      else if (e.dtype === 'BF16') {
        u32[0] = view.getUint16(at, true) << 16;
        data[i] = f32[0];
      } else data[i] = halfToFloat(view.getUint16(at, true));
    }
    out[name] = { dtype: e.dtype, shape: e.shape, data };
  }
  return out;
}

// ── runs ─────────────────────────────────────────────────────────────────
const bytes = encodeSafetensors(tensors, { format: 'pt' });
const halfBytes = encodeSafetensors(halfTensors, { format: 'pt' });
const dir = mkdtempSync(join(tmpdir(), 'kd-bench-st-'));
const path = join(dir, 'model.safetensors');
writeFileSync(path, bytes);
const one = 'encoder.layer.7.weight';
const opts = { warmup: 1, iters: 5 };

const rows = [];
async function pair(op, size, baseline, kd) {
  const b = await time(baseline, opts);
  const k = await time(kd, opts);
  rows.push({
    op,
    MB: size / MB,
    baseline_ms: b.medianMs,
    kd_ms: k.medianMs,
    baseline_MBps: size / MB / (b.medianMs / 1000),
    kd_MBps: size / MB / (k.medianMs / 1000),
    speedup: b.medianMs / k.medianMs,
  });
}

try {
  await pair(
    'encode F32',
    bytes.length,
    () => naiveEncode(tensors),
    () => encodeSafetensors(tensors, { format: 'pt' }),
  );
  await pair(
    'decode F32',
    bytes.length,
    () => naiveDecode(bytes),
    () => decodeSafetensors(bytes),
  );
  await pair(
    'decode F16/BF16→F32',
    halfBytes.length,
    () => naiveDecode(halfBytes),
    () => decodeSafetensors(halfBytes),
  );
  await pair(
    'file: read all',
    bytes.length,
    async () => naiveDecode(new Uint8Array(await readFile(path))),
    () => readSafetensorsFile(path),
  );
  await pair(
    'file: read one 4 MB tensor',
    4 * 1024 * 1024,
    async () => naiveDecode(new Uint8Array(await readFile(path)))[one],
    async () => {
      const r = await SafetensorsFileReader.open(path);
      try {
        return await r.read(one);
      } finally {
        await r.close();
      }
    },
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
report('core-safetensors', rows, {
  note: 'baseline: JSON.parse header + DataView loop per element (read) / per element write; file rows include disk reads (page cache warm). Machine shared with other work: numbers are noisy.',
  fileBytes: bytes.length,
});
