import type { FloatArray } from '../backend.js';

/** Stable row softmax / log-softmax; a row of all −Infinity gives zeros (softmax) or −Infinity. */
export function softmaxJs(x: FloatArray, rows: number, cols: number, out: FloatArray, log: boolean): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < cols; j++) {
      const v = x[base + j];
      if (v > max || Number.isNaN(v)) max = v;
    }
    if (max === Number.NEGATIVE_INFINITY) {
      // Every key masked: no probability mass anywhere, rather than 0/0 = NaN.
      for (let j = 0; j < cols; j++) out[base + j] = log ? Number.NEGATIVE_INFINITY : 0;
      continue;
    }
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += Math.exp(x[base + j] - max);
    if (log) {
      // (x − max) − log Σ rather than x − (max + log Σ): near the maximum x − max is exact, so
      // the result keeps its digits even when |max| dwarfs log Σ (max + log Σ would round to max).
      const logSum = Math.log(sum);
      for (let j = 0; j < cols; j++) out[base + j] = x[base + j] - max - logSum;
    } else {
      const inv = 1 / sum;
      for (let j = 0; j < cols; j++) out[base + j] = Math.exp(x[base + j] - max) * inv;
    }
  }
}

export function softmaxBackwardJs(
  y: FloatArray,
  g: FloatArray,
  rows: number,
  cols: number,
  out: FloatArray,
  log: boolean,
): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let dot = 0;
    if (log) {
      for (let j = 0; j < cols; j++) dot += g[base + j];
      for (let j = 0; j < cols; j++) {
        const p = Math.exp(y[base + j]);
        out[base + j] = g[base + j] - p * dot;
      }
    } else {
      for (let j = 0; j < cols; j++) dot += g[base + j] * y[base + j];
      for (let j = 0; j < cols; j++) out[base + j] = y[base + j] * (g[base + j] - dot);
    }
  }
}
