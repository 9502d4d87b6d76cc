import { attach } from '../autograd/engine.js';
import { backendFor } from '../backend/registry.js';
import { allocate, contiguousStrides, normAxis, shapeSize, Tensor } from '../tensor/tensor.js';
import { fmtShape, HeedError, ShapeError } from '../util/errors.js';
import { padShape, sumToShape } from './broadcast.js';

/**
 * The same values in a new shape (shares the data; one dimension may be −1 and is inferred).
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape(x, shape);
  const out = new Tensor(x.data, target);
  return attach(out, 'reshape', [x], (g) => [new Tensor(g.data, x.shape)]);
}

function inferShape(x: Tensor, shape: readonly number[]): number[] {
  const free = shape.filter((d) => d === -1).length;
  if (free > 1) throw new ShapeError(`reshape: at most one dimension may be -1, got ${fmtShape(shape)}`);
  const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const target = shape.map((d) => (d === -1 ? (known === 0 ? 0 : x.size / known) : d));
  if (!target.every((d) => Number.isInteger(d) && d >= 0) || shapeSize(target) !== x.size) {
    throw new ShapeError(
      `reshape: cannot view ${fmtShape(x.shape)} (${x.size} values) as ${fmtShape(shape)}`,
    );
  }
  return target;
}

/** Inserts an axis of size 1 at `axis`. */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normAxis('unsqueeze', axis, x.ndim + 1);
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

/** Removes an axis of size 1 (or every one when no axis is given). */
export function squeeze(x: Tensor, axis?: number): Tensor {
  if (axis === undefined)
    return reshape(
      x,
      x.shape.filter((d) => d !== 1),
    );
  const a = normAxis('squeeze', axis, x.ndim);
  if (x.shape[a] !== 1) return x;
  return reshape(x, [...x.shape.slice(0, a), ...x.shape.slice(a + 1)]);
}

/** Broadcasts to a larger shape (torch.expand), materialised; the gradient sums back. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const padded = padShape(x.shape, shape.length);
  if (shape.length < x.ndim || padded.some((d, i) => d !== 1 && d !== shape[i])) {
    throw new ShapeError(`expand: cannot broadcast ${fmtShape(x.shape)} to ${fmtShape(shape)}`);
  }
  const src = contiguousStrides(padded).map((s, i) => (padded[i] === 1 ? 0 : s));
  const out = allocate(x.dtype, shapeSize(shape));
  backendFor(x.dtype).copy(
    shape,
    { data: x.data, offset: 0, strides: src },
    { data: out, offset: 0, strides: contiguousStrides(shape) },
  );
  return attach(new Tensor(out, shape), 'expand', [x], (g) => [sumToShape(g, x.shape)]);
}

/** Reorders the axes: output axis i is input axis dims[i]. */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.ndim || new Set(dims.map((d) => normAxis('permute', d, x.ndim))).size !== x.ndim) {
    throw new ShapeError(
      `permute: ${fmtShape(dims)} is not a permutation of the axes of ${fmtShape(x.shape)}`,
    );
  }
  const p = dims.map((d) => normAxis('permute', d, x.ndim));
  const out = permuteRaw(x, p);
  const inverse = new Array<number>(p.length);
  p.forEach((d, i) => {
    inverse[d] = i;
  });
  return attach(out, 'permute', [x], (g) => [permuteRaw(g, inverse)]);
}

function permuteRaw(x: Tensor, p: readonly number[]): Tensor {
  const shape = p.map((d) => x.shape[d]);
  const xs = contiguousStrides(x.shape);
  const out = allocate(x.dtype, x.size);
  backendFor(x.dtype).copy(
    shape,
    { data: x.data, offset: 0, strides: p.map((d) => xs[d]) },
    { data: out, offset: 0, strides: contiguousStrides(shape) },
  );
  return new Tensor(out, shape);
}

/** Swaps two axes (default: the last two). */
export function transpose(x: Tensor, axis0 = -2, axis1 = -1): Tensor {
  const a = normAxis('transpose', axis0, x.ndim);
  const b = normAxis('transpose', axis1, x.ndim);
  const p = x.shape.map((_, i) => i);
  p[a] = b;
  p[b] = a;
  return permute(x, p);
}

/** Elements start ≤ i < end along one axis (negative bounds count from the end). */
export function slice(x: Tensor, axis: number, start: number, end?: number): Tensor {
  const a = normAxis('slice', axis, x.ndim);
  const size = x.shape[a];
  const s = clampIndex(start, size);
  const e = end === undefined ? size : clampIndex(end, size);
  if (e < s)
    throw new ShapeError(`slice: empty range [${start}, ${end}) on axis ${axis} of ${fmtShape(x.shape)}`);
  const shape = [...x.shape];
  shape[a] = e - s;
  const strides = contiguousStrides(x.shape);
  const out = allocate(x.dtype, shapeSize(shape));
  backendFor(x.dtype).copy(
    shape,
    { data: x.data, offset: s * strides[a], strides },
    { data: out, offset: 0, strides: contiguousStrides(shape) },
  );
  return attach(new Tensor(out, shape), 'slice', [x], (g) => {
    // Scatter the gradient back into a zero tensor of the input's shape.
    const gx = allocate(g.dtype, x.size);
    backendFor(g.dtype).copy(
      shape,
      { data: g.data, offset: 0, strides: contiguousStrides(shape) },
      { data: gx, offset: s * strides[a], strides },
    );
    return [new Tensor(gx, x.shape)];
  });
}

function clampIndex(i: number, size: number): number {
  const j = i < 0 ? i + size : i;
  return Math.min(Math.max(j, 0), size);
}

/** Joins tensors along an existing axis; all other dimensions must agree. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new HeedError('concat: needs at least one tensor');
  const first = xs[0];
  const a = normAxis('concat', axis, first.ndim);
  for (const t of xs) {
    if (t.ndim !== first.ndim || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new ShapeError(
        `concat: shapes ${fmtShape(first.shape)} and ${fmtShape(t.shape)} differ off axis ${axis}`,
      );
    }
    if (t.dtype !== first.dtype) throw new HeedError('concat: all tensors must have the same dtype');
  }
  const shape = [...first.shape];
  shape[a] = xs.reduce((p, t) => p + t.shape[a], 0);
  const outStrides = contiguousStrides(shape);
  const out = allocate(first.dtype, shapeSize(shape));
  const be = backendFor(first.dtype);
  const offsets: number[] = [];
  let at = 0;
  for (const t of xs) {
    offsets.push(at);
    be.copy(
      t.shape,
      { data: t.data, offset: 0, strides: contiguousStrides(t.shape) },
      { data: out, offset: at * outStrides[a], strides: outStrides },
    );
    at += t.shape[a];
  }
  return attach(new Tensor(out, shape), 'concat', xs, (g) =>
    xs.map((t, i) => {
      if (!t.requiresGrad) return null;
      const gi = allocate(g.dtype, t.size);
      be.copy(
        t.shape,
        { data: g.data, offset: offsets[i] * outStrides[a], strides: outStrides },
        { data: gi, offset: 0, strides: contiguousStrides(t.shape) },
      );
      return new Tensor(gi, t.shape);
    }),
  );
}

/** Joins tensors of one shape along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new HeedError('stack: needs at least one tensor');
  const a = normAxis('stack', axis, xs[0].ndim + 1);
  for (const t of xs) {
    if (t.ndim !== xs[0].ndim || t.shape.some((d, i) => d !== xs[0].shape[i])) {
      throw new ShapeError(`stack: shapes ${fmtShape(xs[0].shape)} and ${fmtShape(t.shape)} differ`);
    }
  }
  return concat(
    xs.map((t) => unsqueeze(t, a)),
    a,
  );
}

/**
 * Splits along an axis into pieces of `sizes` (an array) or of equal size `sizes` (a number;
 * the last piece may be smaller), as torch.split.
 */
export function split(x: Tensor, sizes: number | readonly number[], axis = 0): Tensor[] {
  const a = normAxis('split', axis, x.ndim);
  const n = x.shape[a];
  let parts: number[];
  if (typeof sizes === 'number') {
    if (!(sizes > 0)) throw new ShapeError(`split: piece size must be positive, got ${sizes}`);
    parts = [];
    for (let s = 0; s < n; s += sizes) parts.push(Math.min(sizes, n - s));
  } else {
    parts = [...sizes];
    if (parts.reduce((p, v) => p + v, 0) !== n) {
      throw new ShapeError(
        `split: sizes ${fmtShape(parts)} do not add up to ${n} on axis ${axis} of ${fmtShape(x.shape)}`,
      );
    }
  }
  const out: Tensor[] = [];
  let at = 0;
  for (const p of parts) {
    out.push(slice(x, a, at, at + p));
    at += p;
  }
  return out;
}
