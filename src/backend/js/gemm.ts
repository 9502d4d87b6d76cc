import type { Backend, FloatArray, GemmParams } from '../backend.js';

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

/** The js layout of a packed weight is op(W) itself, row-major [n, k]. */
export const packedWeightSizeJs: Backend['packedWeightSize'] = (n, k) => n * k;

export const packWeightJs: Backend['packWeight'] = (w, n, k, trans, packed) => {
  for (let i = 0; i < n; i++)
    for (let p = 0; p < k; p++) packed[i * k + p] = trans ? w[p * n + i] : w[i * k + p];
};

export const gemmPackedWeightJs: Backend['gemmPackedWeight'] = (x, rows, packed, n, k, y, beta) => {
  gemmJs({
    batch: 1,
    m: rows,
    n,
    k,
    transA: false,
    transB: true,
    alpha: 1,
    beta,
    a: x,
    aOffset: 0,
    strideA: 0,
    b: packed,
    bOffset: 0,
    strideB: 0,
    c: y,
    cOffset: 0,
    strideC: 0,
  });
};
