import { attach } from '../../autograd/engine.js';
import { backendFor } from '../../backend/registry.js';
import { reshape } from '../../ops/shape.js';
import { allocate, contiguousStrides, normAxis, shapeSize, Tensor } from '../../tensor/tensor.js';
import { fmtShape, ShapeError } from '../../util/errors.js';

/**
 * Splits x along `axis` into pieces of the given sizes (as torch.split), with ONE gradient
 * buffer for all of them.
 *
 * Why not `split()`: each of its pieces is an independent slice whose backward returns a
 * gradient the size of the whole input, so unbinding T time steps costs O(T · x.size) in the
 * backward (and splitting LSTM gates four full-size buffers per step). Here the pieces hang off
 * one `hub` node that shares x's data; each piece's backward copies its gradient into its own
 * part of a buffer of x's shape. The first piece to run hands that buffer to the engine as the
 * hub's gradient and the others return null, so nothing is ever summed; the hub runs after every
 * piece (it is their only input, and the engine walks in reverse topological order), so by then
 * the buffer is complete. Parts whose piece got no gradient stay zero. The hub's backward passes
 * the buffer on to x and forgets it, ready for another backward pass over the same graph.
 */
export function splitShared(x: Tensor, sizes: readonly number[], axis: number): Tensor[] {
  const a = normAxis('splitShared', axis, x.ndim);
  if (sizes.reduce((p, v) => p + v, 0) !== x.shape[a] || sizes.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new ShapeError(
      `splitShared: sizes ${fmtShape(sizes)} do not add up to ${x.shape[a]} on axis ${axis} of ${fmtShape(x.shape)}`,
    );
  }
  const strides = contiguousStrides(x.shape);
  const be = backendFor(x.dtype);
  let buffer: Tensor | null = null;
  const hub = attach(new Tensor(x.data, x.shape), 'splitShared', [x], (g) => {
    buffer = null;
    return [g];
  });
  const pieces: Tensor[] = [];
  let at = 0;
  for (const size of sizes) {
    const shape = [...x.shape];
    shape[a] = size;
    const offset = at * strides[a];
    const pieceStrides = contiguousStrides(shape);
    const out = allocate(x.dtype, shapeSize(shape));
    be.copy(shape, { data: x.data, offset, strides }, { data: out, offset: 0, strides: pieceStrides });
    pieces.push(
      attach(new Tensor(out, shape), 'splitShared.piece', [hub], (g) => {
        const first = buffer === null;
        const buf: Tensor = buffer ?? new Tensor(allocate(g.dtype, x.size), x.shape);
        buffer = buf;
        backendFor(g.dtype).copy(
          shape,
          { data: g.data, offset: 0, strides: pieceStrides },
          { data: buf.data, offset, strides },
        );
        return [first ? buf : null];
      }),
    );
    at += size;
  }
  return pieces;
}

/** The slices of x along `axis`, each without that axis (torch.unbind), via {@link splitShared}. */
export function unbind(x: Tensor, axis: number): Tensor[] {
  const a = normAxis('unbind', axis, x.ndim);
  const shape = x.shape.filter((_, i) => i !== a);
  return splitShared(x, new Array<number>(x.shape[a]).fill(1), a).map((p) => reshape(p, shape));
}
