import { backendFor } from '../backend/registry.js';
import { allocate, type DType, Tensor } from '../tensor/tensor.js';
import { fmtShape, ShapeError } from '../util/errors.js';

/** NumPy broadcasting of two shapes, with an error naming the op and both shapes. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast together`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Left-pads a shape with 1s to a rank. */
export function padShape(shape: readonly number[], rank: number): number[] {
  return [...new Array<number>(rank - shape.length).fill(1), ...shape];
}

/** float64 if either input is float64, else float32 (PyTorch's promotion between these two). */
export function promote(a: DType, b: DType): DType {
  return a === 'float64' || b === 'float64' ? 'float64' : 'float32';
}

/** A tensor in the wanted dtype (a copy when it differs; gradients flow through `cast`). */
export function asDType(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const data = allocate(dtype, x.size);
  data.set(x.data);
  return new Tensor(data, x.shape);
}

/**
 * Sums a broadcast gradient back down to `shape` (the inverse of broadcasting): leading extra
 * axes and axes where `shape` has 1 are summed. Used by every broadcasting op's backward.
 */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const padded = padShape(shape, g.shape.length);
  let cur = g.data;
  let curShape = [...g.shape];
  const be = backendFor(g.dtype);
  for (let d = 0; d < curShape.length; d++) {
    if (padded[d] === 1 && curShape[d] !== 1) {
      const outer = curShape.slice(0, d).reduce((p, v) => p * v, 1);
      const inner = curShape.slice(d + 1).reduce((p, v) => p * v, 1);
      const out = allocate(g.dtype, outer * inner);
      be.reduce('sum', cur, outer, curShape[d], inner, out);
      cur = out;
      curShape = [...curShape.slice(0, d), 1, ...curShape.slice(d + 1)];
    }
  }
  return new Tensor(cur, shape);
}
