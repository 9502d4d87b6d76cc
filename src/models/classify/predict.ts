import { noGrad } from '../../autograd/engine.js';
import type { Module } from '../../nn/module.js';

/**
 * Runs fn with `m` in evaluation mode (dropout off) and without recording a graph, then puts
 * the module back in the mode it was in: prediction never leaves a model switched.
 */
export function evaluate<T>(m: Module, fn: () => T): T {
  const was = m.training;
  m.eval();
  try {
    return noGrad(fn);
  } finally {
    m.train(was);
  }
}

/** The index of the largest value of each row of a row-major [N, cols] array (the first on ties). */
export function argmaxRows(values: ArrayLike<number>, cols: number): Int32Array {
  const rows = values.length / cols;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (values[r * cols + c] > values[r * cols + best]) best = c;
    out[r] = best;
  }
  return out;
}
