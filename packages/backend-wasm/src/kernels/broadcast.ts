/**
 * numpy broadcasting of two shapes, or null where they do not broadcast (tfjs then
 * throws its own error, which the kernels reproduce by delegating to the stock one).
 */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | null {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Element strides of `shape` read as if broadcast to `target` (right-aligned;
 * broadcast dimensions get stride 0), or null if it does not broadcast to exactly
 * `target`.
 */
export function broadcastStrides(
  shape: readonly number[],
  target: readonly number[],
): number[] | null {
  if (shape.length > target.length) {
    // Leading ones beyond the target's rank do not change the layout.
    const extra = shape.length - target.length;
    if (shape.slice(0, extra).some((d) => d !== 1)) return null;
    shape = shape.slice(extra);
  }
  const strides = new Array<number>(target.length).fill(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const t = target.length - shape.length + i;
    const d = shape[i]!;
    if (d !== 1 && d !== target[t]) return null;
    strides[t] = d === 1 ? 0 : stride;
    stride *= d;
  }
  return strides;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
