import type { BinaryOp, FloatArray, UnaryOp } from '../backend.js';
import { broadcastStrides, forEachRow } from './broadcast.js';
import { gelu, geluGrad, sigmoid } from './math.js';

type Fn2 = (x: number, y: number) => number;

const binaryFns: Record<BinaryOp, Fn2> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
  pow: Math.pow,
  // Math.max/min propagate NaN, as torch.maximum / torch.minimum do.
  maximum: Math.max,
  minimum: Math.min,
};

export function binaryJs(
  op: BinaryOp,
  a: FloatArray,
  aShape: readonly number[],
  b: FloatArray,
  bShape: readonly number[],
  out: FloatArray,
  outShape: readonly number[],
): void {
  const f = binaryFns[op];
  if (a.length === out.length && b.length === out.length) {
    for (let i = 0; i < out.length; i++) out[i] = f(a[i], b[i]);
    return;
  }
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  forEachRow(outShape, [sa, sb], (start, count, offs, inner) => {
    let ia = offs[0];
    let ib = offs[1];
    const da = inner[0];
    const db = inner[1];
    for (let j = 0; j < count; j++) {
      out[start + j] = f(a[ia], b[ib]);
      ia += da;
      ib += db;
    }
  });
}

const unaryFns: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  tanh: Math.tanh,
  sigmoid,
  relu: (x) => (x > 0 ? x : Number.isNaN(x) ? x : 0),
  gelu,
  sqrt: Math.sqrt,
  abs: Math.abs,
  square: (x) => x * x,
};

export function unaryJs(op: UnaryOp, x: FloatArray, out: FloatArray): void {
  const f = unaryFns[op];
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]);
}

/** d op / dx as a function of the forward input x and output y. */
const unaryDerivs: Record<UnaryOp, (x: number, y: number) => number> = {
  neg: () => -1,
  exp: (_x, y) => y,
  log: (x) => 1 / x,
  tanh: (_x, y) => 1 - y * y,
  sigmoid: (_x, y) => y * (1 - y),
  relu: (x) => (x > 0 ? 1 : 0),
  gelu: (x) => geluGrad(x),
  sqrt: (_x, y) => 0.5 / y,
  abs: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0),
  square: (x) => 2 * x,
};

export function unaryBackwardJs(
  op: UnaryOp,
  x: FloatArray,
  y: FloatArray,
  g: FloatArray,
  out: FloatArray,
): void {
  const d = unaryDerivs[op];
  for (let i = 0; i < g.length; i++) out[i] = g[i] * d(x[i], y[i]);
}

export function whereJs(
  cond: Uint8Array,
  condShape: readonly number[],
  a: FloatArray,
  aShape: readonly number[],
  b: FloatArray,
  bShape: readonly number[],
  out: FloatArray,
  outShape: readonly number[],
): void {
  const strides = [condShape, aShape, bShape].map((s) => broadcastStrides(s, outShape));
  forEachRow(outShape, strides, (start, count, offs, inner) => {
    let ic = offs[0];
    let ia = offs[1];
    let ib = offs[2];
    for (let j = 0; j < count; j++) {
      out[start + j] = cond[ic] ? a[ia] : b[ib];
      ic += inner[0];
      ia += inner[1];
      ib += inner[2];
    }
  });
}
