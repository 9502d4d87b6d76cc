/**
 * Walks an output shape while tracking the matching flat offsets of broadcast inputs. Each input
 * shape is right-aligned and padded to the output rank; a dimension of size 1 gets stride 0.
 */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const strides = new Array<number>(outShape.length).fill(0);
  let s = 1;
  for (let d = outShape.length - 1; d >= 0; d--) {
    const size = shape[d] ?? 1;
    strides[d] = size === 1 ? 0 : s;
    s *= size;
  }
  return strides;
}

/**
 * Calls `inner(outStart, count, offsets, innerStrides)` once per run of the last axis, with the
 * starting offset of each input. Keeps the per-element loop free of index arithmetic.
 */
export function forEachRow(
  outShape: readonly number[],
  inputStrides: readonly (readonly number[])[],
  inner: (outStart: number, count: number, offsets: number[], innerStrides: number[]) => void,
): void {
  const rank = outShape.length;
  const total = outShape.reduce((p, v) => p * v, 1);
  if (total === 0) return;
  if (rank === 0) {
    inner(
      0,
      1,
      inputStrides.map(() => 0),
      inputStrides.map(() => 0),
    );
    return;
  }
  const last = outShape[rank - 1];
  const innerStrides = inputStrides.map((s) => s[rank - 1]);
  const idx = new Array<number>(rank - 1).fill(0);
  const offsets = inputStrides.map(() => 0);
  for (let start = 0; start < total; start += last) {
    inner(start, last, offsets, innerStrides);
    // Advance the multi-index over the leading axes, updating each input's offset.
    for (let d = rank - 2; d >= 0; d--) {
      idx[d] = idx[d] + 1;
      for (let t = 0; t < offsets.length; t++) {
        offsets[t] = offsets[t] + inputStrides[t][d];
      }
      if (idx[d] < outShape[d]) break;
      for (let t = 0; t < offsets.length; t++) {
        offsets[t] = offsets[t] - inputStrides[t][d] * outShape[d];
      }
      idx[d] = 0;
    }
  }
}
