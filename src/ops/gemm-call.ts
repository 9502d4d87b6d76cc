import type { Backend, FloatArray } from '../backend/backend.js';

/**
 * The backend's GEMM for ops that work on raw arrays, with the arguments in BLAS order:
 * c[cOffset…] = op(a)·op(b) + beta·c for single row-major matrices (op(a) m×k, op(b) k×n).
 */
export function gemmAt(
  be: Backend,
  a: FloatArray,
  aOffset: number,
  b: FloatArray,
  bOffset: number,
  c: FloatArray,
  cOffset: number,
  m: number,
  n: number,
  k: number,
  transA: boolean,
  transB: boolean,
  beta: number,
): void {
  be.gemm({
    batch: 1,
    m,
    n,
    k,
    transA,
    transB,
    alpha: 1,
    beta,
    a,
    aOffset,
    strideA: 0,
    b,
    bOffset,
    strideB: 0,
    c,
    cOffset,
    strideC: 0,
  });
}

/** {@link gemmAt} on whole arrays (every offset 0). */
export function gemm2d(
  be: Backend,
  a: FloatArray,
  b: FloatArray,
  c: FloatArray,
  m: number,
  n: number,
  k: number,
  transA: boolean,
  transB: boolean,
  beta: number,
): void {
  gemmAt(be, a, 0, b, 0, c, 0, m, n, k, transA, transB, beta);
}
