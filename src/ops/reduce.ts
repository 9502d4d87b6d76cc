import { attach } from '../autograd/engine.js';
import { backendFor } from '../backend/registry.js';
import { allocate, normAxis, shapeSize, Tensor } from '../tensor/tensor.js';
import { mul } from './binary.js';
import { expand, reshape } from './shape.js';

/** Axes to reduce: one, several, or (undefined) all. */
export type Axes = number | readonly number[] | undefined;

function resolveAxes(op: string, x: Tensor, axes: Axes): number[] {
  if (axes === undefined) return x.shape.map((_, i) => i);
  const list = typeof axes === 'number' ? [axes] : [...axes];
  return [...new Set(list.map((a) => normAxis(op, a, x.ndim)))].sort((p, q) => p - q);
}

function keptShape(x: Tensor, axes: readonly number[]): number[] {
  return x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

function finalShape(x: Tensor, axes: readonly number[], keepdim: boolean): number[] {
  return keepdim ? keptShape(x, axes) : x.shape.filter((_, i) => !axes.includes(i));
}

/** Sums over the axes one at a time, innermost first, in the backend. */
function sumRaw(x: Tensor, axes: readonly number[]): Tensor {
  let data = x.data;
  const shape = [...x.shape];
  const be = backendFor(x.dtype);
  for (let j = axes.length - 1; j >= 0; j--) {
    const a = axes[j];
    const outer = shapeSize(shape.slice(0, a));
    const inner = shapeSize(shape.slice(a + 1));
    const out = allocate(x.dtype, outer * inner);
    be.reduce('sum', data, outer, shape[a], inner, out);
    data = out;
    shape[a] = 1;
  }
  return new Tensor(data, shape);
}

/** Σ over `axes` (all when omitted). The gradient broadcasts g back over the summed axes. */
export function sum(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  const ax = resolveAxes('sum', x, axes);
  const kept = sumRaw(x, ax);
  const out = new Tensor(kept.data, finalShape(x, ax, keepdim));
  return attach(out, 'sum', [x], (g) => [expand(reshape(g, keptShape(x, ax)), x.shape)]);
}

/** Mean over `axes` (all when omitted). */
export function mean(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  const ax = resolveAxes('mean', x, axes);
  const count = ax.reduce((p, a) => p * x.shape[a], 1);
  return mul(sum(x, ax, keepdim), 1 / count);
}

/**
 * Maximum over one axis (or over everything when omitted). As torch.max(dim), the gradient goes
 * to the first position holding the maximum.
 */
export function max(x: Tensor, axis?: number, keepdim = false): Tensor {
  if (axis === undefined) {
    const m = max(reshape(x, [x.size]), 0);
    const kept = x.shape.map(() => 1);
    return keepdim ? reshape(m, kept) : m;
  }
  return maxWithIndices(x, axis, keepdim).values;
}

/** Maximum over one axis and the index of the first maximum (torch.max(x, dim)). */
export function maxWithIndices(
  x: Tensor,
  axis: number,
  keepdim = false,
): { values: Tensor; indices: Int32Array } {
  const a = normAxis('max', axis, x.ndim);
  const outer = shapeSize(x.shape.slice(0, a));
  const size = x.shape[a] ?? 1;
  const inner = shapeSize(x.shape.slice(a + 1));
  const out = allocate(x.dtype, outer * inner);
  const argmax = new Int32Array(outer * inner);
  backendFor(x.dtype).reduce('max', x.data, outer, size, inner, out, argmax);
  const values = new Tensor(out, finalShape(x, [a], keepdim));
  attach(values, 'max', [x], (g) => {
    const gx = allocate(g.dtype, x.size);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        gx[(o * size + argmax[o * inner + i]) * inner + i] = g.data[o * inner + i];
      }
    }
    return [new Tensor(gx, x.shape)];
  });
  return { values, indices: argmax };
}
