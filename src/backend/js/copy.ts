import type { FloatArray, StridedView } from '../backend.js';

/** Strided N-d copy; the last axis is the inner loop. */
export function copyJs(shape: readonly number[], src: StridedView, dst: StridedView): void {
  const rank = shape.length;
  const total = shape.reduce((p, v) => p * v, 1);
  if (total === 0) return;
  if (rank === 0) {
    dst.data[dst.offset] = src.data[src.offset];
    return;
  }
  const last = shape[rank - 1];
  const ss = src.strides[rank - 1];
  const ds = dst.strides[rank - 1];
  const idx = new Array<number>(rank).fill(0);
  let so = src.offset;
  let d0 = dst.offset;
  for (let done = 0; done < total; done += last) {
    let si = so;
    let di = d0;
    for (let j = 0; j < last; j++) {
      dst.data[di] = src.data[si];
      si += ss;
      di += ds;
    }
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]++;
      so += src.strides[d];
      d0 += dst.strides[d];
      if (idx[d] < shape[d]) break;
      so -= src.strides[d] * shape[d];
      d0 -= dst.strides[d] * shape[d];
      idx[d] = 0;
    }
  }
}

export function gatherRowsJs(x: FloatArray, cols: number, index: Int32Array, out: FloatArray): void {
  for (let i = 0; i < index.length; i++) {
    const from = index[i] * cols;
    out.set(x.subarray(from, from + cols), i * cols);
  }
}

export function scatterAddRowsJs(g: FloatArray, cols: number, index: Int32Array, out: FloatArray): void {
  for (let i = 0; i < index.length; i++) {
    const to = index[i] * cols;
    const from = i * cols;
    for (let j = 0; j < cols; j++) out[to + j] += g[from + j];
  }
}
