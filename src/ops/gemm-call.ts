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

/** Packed copies of weights, by weight array and layout: the buffers are reused from step to step. */
const packedBuffers = new WeakMap<FloatArray, Map<string, FloatArray>>();

/** op(W) [n, k] of `w` packed by `be` into a buffer kept for this weight and layout. */
function packedCopy(be: Backend, w: FloatArray, n: number, k: number, trans: boolean): FloatArray {
  let byLayout = packedBuffers.get(w);
  if (byLayout === undefined) {
    byLayout = new Map();
    packedBuffers.set(w, byLayout);
  }
  const key = `${be.name} ${n} ${k} ${trans}`;
  const size = be.packedWeightSize(n, k);
  let buf = byLayout.get(key);
  if (buf === undefined || buf.length !== size) {
    buf = w instanceof Float64Array ? new Float64Array(size) : new Float32Array(size);
    byLayout.set(key, buf);
  }
  be.packWeight(w, n, k, trans, buf);
  return buf;
}

/**
 * A weight W [n, k] that meets a small operand at every step of a loop (an RNN's W_hh, an
 * attention's W₁): each product direction packs W once, on first use (Backend.packWeight), and
 * every step then multiplies against the packed copy. Pack in the op that uses it: the copy
 * reflects W's values when packed. A loop of one step (token-by-token decoding) has nothing to
 * share the packing with, so it multiplies W directly.
 */
export class PackedWeight {
  private forW: FloatArray | null = null;
  private forWT: FloatArray | null = null;

  constructor(
    private readonly be: Backend,
    private readonly w: FloatArray,
    private readonly n: number,
    private readonly k: number,
    private readonly steps: number,
  ) {}

  /** y [rows, n] = beta·y + x [rows, k]·Wᵀ. */
  timesT(x: FloatArray, rows: number, y: FloatArray, beta: number): void {
    if (this.steps <= 1) {
      gemmAt(this.be, x, 0, this.w, 0, y, 0, rows, this.n, this.k, false, true, beta);
      return;
    }
    this.forW ??= packedCopy(this.be, this.w, this.n, this.k, false);
    this.be.gemmPackedWeight(x, rows, this.forW, this.n, this.k, y, beta);
  }

  /** y [rows, k] = beta·y + x [rows, n]·W. */
  times(x: FloatArray, rows: number, y: FloatArray, beta: number): void {
    if (this.steps <= 1) {
      gemmAt(this.be, x, 0, this.w, 0, y, 0, rows, this.k, this.n, false, false, beta);
      return;
    }
    this.forWT ??= packedCopy(this.be, this.w, this.k, this.n, true);
    this.be.gemmPackedWeight(x, rows, this.forWT, this.k, this.n, y, beta);
  }
}
