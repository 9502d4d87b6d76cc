import { attach, isGradEnabled } from '../autograd/engine.js';
import type { GemmParams } from '../backend/backend.js';
import { backendFor, getBackend } from '../backend/registry.js';
import { allocate, type DType, shapeSize, Tensor, tensorAdopting } from '../tensor/tensor.js';
import { fmtShape, ShapeError } from '../util/errors.js';
import { asDType, broadcastShapes, promote } from './broadcast.js';
import { expand } from './shape.js';

export interface MatmulOptions {
  /** Use the transpose of a's last two axes. */
  transA?: boolean;
  /** Use the transpose of b's last two axes. */
  transB?: boolean;
}

/**
 * Matrix product op(a) · op(b) over the last two axes, batched over the leading axes with
 * broadcasting (a [..., m, k] · b [..., k, n] → [..., m, n]). The transpose flags read a stored
 * [.., k, m] or b stored [.., n, k] directly, so no transpose is ever materialised; the backward
 * uses them too:
 *   C = op(A)·op(B)  ⇒  dA = G·op(B)ᵀ (or op(B)·Gᵀ when transA),  dB = op(A)ᵀ·G (or Gᵀ·op(A)).
 */
export function matmul(a: Tensor, b: Tensor, opts?: MatmulOptions): Tensor {
  const transA = opts?.transA ?? false;
  const transB = opts?.transB ?? false;
  if (a.ndim < 2 || b.ndim < 2) {
    throw new ShapeError(
      `matmul: both inputs need at least 2 dimensions, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`,
    );
  }
  const ar = a.shape[a.ndim - 2];
  const ac = a.shape[a.ndim - 1];
  const br = b.shape[b.ndim - 2];
  const bc = b.shape[b.ndim - 1];
  const m = transA ? ac : ar;
  const k = transA ? ar : ac;
  const kb = transB ? bc : br;
  const n = transB ? br : bc;
  if (k !== kb) {
    throw new ShapeError(
      `matmul: inner dimensions differ: ${fmtShape(a.shape)}${transA ? 'ᵀ' : ''} · ${fmtShape(b.shape)}${transB ? 'ᵀ' : ''} (${k} vs ${kb})`,
    );
  }
  if (a.ndim === 2 && b.ndim === 2 && a.data instanceof Float32Array && b.data instanceof Float32Array) {
    return matrixProduct(a, b, m, n, k, transA, transB);
  }
  let batchShape: number[] = [];
  let x = a;
  let y = b;
  let dtype = a.dtype;
  if (a.ndim !== 2 || b.ndim !== 2 || a.dtype !== b.dtype) {
    batchShape = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
    // A side whose batch is neither full nor a single matrix is expanded; a single matrix is
    // reused with stride 0.
    x = fitBatch(a, batchShape);
    y = fitBatch(b, batchShape);
    dtype = promote(x.dtype, y.dtype);
  }
  const xa = asDType(x, dtype);
  const ya = asDType(y, dtype);
  const sizes: MatmulSizes = {
    batch: shapeSize(batchShape),
    m,
    n,
    k,
    transA,
    transB,
    aBatch: batchOf(xa),
    bBatch: batchOf(ya),
  };
  const out = allocate(dtype, sizes.batch * m * n);
  gemmInto(xa, ya, out, { ...sizes, accumulate: false });
  const result = new Tensor(out, [...batchShape, m, n]);
  if (!gradNeeded(x, y)) return result;
  return attach(result, 'matmul', [x, y], matmulBackward(x, y, xa, ya, dtype, sizes));
}

const NO_DATA = new Float32Array(0);

/**
 * The GEMM parameters of every matrix product, one object reused: backends read it synchronously
 * and keep nothing, and a fresh 17-field literal was the largest allocation of a 16×16 product.
 * The arrays are dropped after each call so the object keeps no memory alive.
 */
const matrixCall: GemmParams = {
  batch: 1,
  m: 0,
  n: 0,
  k: 0,
  transA: false,
  transB: false,
  alpha: 1,
  beta: 0,
  a: NO_DATA,
  aOffset: 0,
  strideA: 0,
  b: NO_DATA,
  bOffset: 0,
  strideB: 0,
  c: NO_DATA,
  cOffset: 0,
  strideC: 0,
};

/**
 * The common case, float32 matrix · float32 matrix, straight to the backend: no batch,
 * broadcasting or dtype promotion to work out. For a 16×16 product the general path's
 * bookkeeping cost as much as the N-API call and the GEMM together.
 */
function matrixProduct(
  a: Tensor,
  b: Tensor,
  m: number,
  n: number,
  k: number,
  transA: boolean,
  transB: boolean,
): Tensor {
  const out = allocate('float32', m * n);
  const p = matrixCall;
  p.m = m;
  p.n = n;
  p.k = k;
  p.transA = transA;
  p.transB = transB;
  p.a = a.data;
  p.b = b.data;
  p.c = out;
  getBackend().gemm(p);
  p.a = p.b = p.c = NO_DATA;
  const result = tensorAdopting(out, matrixShape(m, n));
  if (!gradNeeded(a, b)) return result;
  const sizes: MatmulSizes = { batch: 1, m, n, k, transA, transB, aBatch: 1, bBatch: 1 };
  return attach(result, 'matmul', [a, b], matmulBackward(a, b, a, b, 'float32', sizes));
}

/*
 * The frozen shape [m, n] of a matrix product, shared with the previous product's output while
 * it repeats (a frozen array can be shared; freezing a fresh one costs ~35 ns on Node 20). The
 * dims are kept apart too: on Node 20 an element load from a frozen array costs ~7 ns, from a
 * plain variable nothing.
 */
let lastM = 0;
let lastN = 0;
let lastShape: readonly number[] = Object.freeze([0, 0]);

function matrixShape(m: number, n: number): readonly number[] {
  if (m !== lastM || n !== lastN) {
    lastShape = Object.freeze([m, n]);
    lastM = m;
    lastN = n;
  }
  return lastShape;
}

/** Whether the product joins the graph: checked first, so inference builds no backward closure. */
function gradNeeded(x: Tensor, y: Tensor): boolean {
  return isGradEnabled() && (x.requiresGrad || y.requiresGrad);
}

/** The sizes of a (batched) product as the forward worked them out. */
interface MatmulSizes {
  batch: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  /** Batch count of each operand: `batch`, or 1 for a matrix reused by every batch. */
  aBatch: number;
  bBatch: number;
}

/**
 * The backward of C = op(A)·op(B): x and y are the graph inputs, xa and ya the same tensors in
 * the computation dtype (the ones the forward multiplied).
 */
function matmulBackward(
  x: Tensor,
  y: Tensor,
  xa: Tensor,
  ya: Tensor,
  dtype: DType,
  s: MatmulSizes,
): (g: Tensor) => (Tensor | null)[] {
  const { batch, m, n, k, transA, transB, aBatch, bBatch } = s;
  return (g) => {
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    const gd = asDType(g, dtype);
    if (x.requiresGrad) {
      const buf = allocate(dtype, xa.size);
      // dA = G · op(B)ᵀ, or for a stored transposed, dA = op(B) · Gᵀ.
      if (!transA) {
        gemmInto(gd, ya, buf, {
          batch,
          m,
          n: k,
          k: n,
          transA: false,
          transB: !transB,
          aBatch: batch,
          bBatch,
          accumulate: aBatch === 1 && batch > 1,
        });
      } else {
        gemmInto(ya, gd, buf, {
          batch,
          m: k,
          n: m,
          k: n,
          transA: transB,
          transB: true,
          aBatch: bBatch,
          bBatch: batch,
          accumulate: aBatch === 1 && batch > 1,
        });
      }
      ga = tensorAdopting(buf, xa.shape);
    }
    if (y.requiresGrad) {
      const buf = allocate(dtype, ya.size);
      // dB = op(A)ᵀ · G, or for b stored transposed, dB = Gᵀ · op(A).
      if (!transB) {
        gemmInto(xa, gd, buf, {
          batch,
          m: k,
          n,
          k: m,
          transA: !transA,
          transB: false,
          aBatch,
          bBatch: batch,
          accumulate: bBatch === 1 && batch > 1,
        });
      } else {
        gemmInto(gd, xa, buf, {
          batch,
          m: n,
          n: k,
          k: m,
          transA: true,
          transB: transA,
          aBatch: batch,
          bBatch: aBatch,
          accumulate: bBatch === 1 && batch > 1,
        });
      }
      gb = tensorAdopting(buf, ya.shape);
    }
    return [ga && asDType(ga, x.dtype), gb && asDType(gb, y.dtype)];
  };
}

interface GemmCall extends MatmulSizes {
  /** Sum every batch's product into one output matrix (the gradient of a reused matrix). */
  accumulate: boolean;
}

function gemmInto(a: Tensor, b: Tensor, out: Float32Array | Float64Array, c: GemmCall): void {
  const be = backendFor(a.dtype);
  // Fold a batch of A rows against one shared B into a single large GEMM: better for the kernel.
  if (c.bBatch === 1 && c.aBatch === c.batch && !c.transA && !c.accumulate) {
    be.gemm({
      batch: 1,
      m: c.batch * c.m,
      n: c.n,
      k: c.k,
      transA: false,
      transB: c.transB,
      alpha: 1,
      beta: 0,
      a: a.data,
      aOffset: 0,
      strideA: 0,
      b: b.data,
      bOffset: 0,
      strideB: 0,
      c: out,
      cOffset: 0,
      strideC: 0,
    });
    return;
  }
  // The gradient of a shared matrix, Aᵀ·G with A and G both full batches and not transposed
  // rows: fold the batch into the k dimension, one GEMM instead of an accumulation loop.
  if (c.accumulate && c.aBatch === c.batch && c.bBatch === c.batch && c.transA && !c.transB) {
    be.gemm({
      batch: 1,
      m: c.m,
      n: c.n,
      k: c.batch * c.k,
      transA: true,
      transB: false,
      alpha: 1,
      beta: 0,
      a: a.data,
      aOffset: 0,
      strideA: 0,
      b: b.data,
      bOffset: 0,
      strideB: 0,
      c: out,
      cOffset: 0,
      strideC: 0,
    });
    return;
  }
  be.gemm({
    batch: c.batch,
    m: c.m,
    n: c.n,
    k: c.k,
    transA: c.transA,
    transB: c.transB,
    alpha: 1,
    beta: c.accumulate ? 1 : 0,
    a: a.data,
    aOffset: 0,
    strideA: c.aBatch === 1 ? 0 : c.m * c.k,
    b: b.data,
    bOffset: 0,
    strideB: c.bBatch === 1 ? 0 : c.k * c.n,
    c: out,
    cOffset: 0,
    strideC: c.accumulate ? 0 : c.m * c.n,
  });
}

function batchOf(t: Tensor): number {
  let n = 1;
  for (let d = 0; d < t.ndim - 2; d++) n *= t.shape[d];
  return n;
}

function fitBatch(t: Tensor, batchShape: readonly number[]): Tensor {
  const tb = t.shape.slice(0, -2);
  const same = tb.length === batchShape.length && tb.every((d, i) => d === batchShape[i]);
  if (same || shapeSize(tb) === 1) return t;
  return expand(t, [...batchShape, ...t.shape.slice(-2)]);
}
