import type { FloatArray, GemmParams } from '../backend.js';

/**
 * Reference batched GEMM in plain TypeScript. Loops are ordered i-p-j so the inner loop walks
 * rows of B and C contiguously (the transposed cases read B with a stride instead).
 */
export function gemmJs(p: GemmParams): void {
  for (let bi = 0; bi < p.batch; bi++) {
    gemmOne(p, p.aOffset + bi * p.strideA, p.bOffset + bi * p.strideB, p.cOffset + bi * p.strideC);
  }
}

function gemmOne(p: GemmParams, aOff: number, bOff: number, cOff: number): void {
  const { m, n, k, a, b, c, alpha, beta, transA, transB } = p;
  // A(i, q) and B(q, j) with the transpose flags folded into strides.
  const aRow = transA ? 1 : k;
  const aCol = transA ? m : 1;
  const bRow = transB ? 1 : n;
  const bCol = transB ? k : 1;
  const acc = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    acc.fill(0);
    for (let q = 0; q < k; q++) {
      const aiq = a[aOff + i * aRow + q * aCol];
      const bBase = bOff + q * bRow;
      if (bCol === 1) {
        for (let j = 0; j < n; j++) acc[j] = acc[j] + aiq * b[bBase + j];
      } else {
        for (let j = 0; j < n; j++) {
          acc[j] = acc[j] + aiq * b[bBase + j * bCol];
        }
      }
    }
    writeRow(c, cOff + i * n, acc, n, alpha, beta);
  }
}

function writeRow(
  c: FloatArray,
  base: number,
  acc: Float64Array,
  n: number,
  alpha: number,
  beta: number,
): void {
  if (beta === 0) {
    // beta = 0 must ignore whatever C holds, NaN included (BLAS semantics).
    for (let j = 0; j < n; j++) c[base + j] = alpha * acc[j];
  } else {
    for (let j = 0; j < n; j++) {
      c[base + j] = alpha * acc[j] + beta * c[base + j];
    }
  }
}
