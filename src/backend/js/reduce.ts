import type { FloatArray, ReduceOp } from '../backend.js';

/** Reduce x viewed as [outer, size, inner] over its middle axis. */
export function reduceJs(
  op: ReduceOp,
  x: FloatArray,
  outer: number,
  size: number,
  inner: number,
  out: FloatArray,
  argmax?: Int32Array,
): void {
  for (let o = 0; o < outer; o++) {
    const base = o * size * inner;
    for (let i = 0; i < inner; i++) {
      if (op === 'sum') {
        let s = 0;
        for (let r = 0; r < size; r++) s += x[base + r * inner + i];
        out[o * inner + i] = s;
      } else {
        let best = Number.NEGATIVE_INFINITY;
        let at = 0;
        for (let r = 0; r < size; r++) {
          const v = x[base + r * inner + i];
          // The first NaN is the maximum; otherwise the first occurrence of the largest value.
          if (v > best || (Number.isNaN(v) && !Number.isNaN(best))) {
            best = v;
            at = r;
            if (Number.isNaN(v)) break;
          }
        }
        out[o * inner + i] = best;
        if (argmax) argmax[o * inner + i] = at;
      }
    }
  }
}
