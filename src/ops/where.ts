import { attach } from '../autograd/engine.js';
import { backendFor } from '../backend/registry.js';
import { Mask } from '../tensor/mask.js';
import { allocate, shapeSize, Tensor } from '../tensor/tensor.js';
import { asDType, broadcastShapes, padShape, promote, sumToShape } from './broadcast.js';
import { full } from './creation.js';

/**
 * out = cond ? a : b elementwise, all three broadcast together. A float tensor as the condition
 * counts non-zero as true. The gradient of a is g where cond holds, of b where it does not.
 */
export function where(cond: Mask | Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  const c =
    cond instanceof Mask
      ? cond
      : new Mask(
          Uint8Array.from(cond.data, (v) => (v !== 0 ? 1 : 0)),
          cond.shape,
        );
  const dtype = promote(a instanceof Tensor ? a.dtype : 'float32', b instanceof Tensor ? b.dtype : 'float32');
  const x = a instanceof Tensor ? a : full([], a, { dtype });
  const y = b instanceof Tensor ? b : full([], b, { dtype });
  const shape = broadcastShapes('where', broadcastShapes('where', c.shape, x.shape), y.shape);
  const out = whereRaw(c, asDType(x, dtype), asDType(y, dtype), shape);
  return attach(out, 'where', [x, y], (g) => {
    const zero = full([], 0, { dtype: g.dtype });
    return [
      x.requiresGrad ? sumToShape(whereRaw(c, g, zero, shape), x.shape) : null,
      y.requiresGrad ? sumToShape(whereRaw(c, zero, g, shape), y.shape) : null,
    ];
  });
}

function whereRaw(c: Mask, x: Tensor, y: Tensor, shape: readonly number[]): Tensor {
  const out = allocate(x.dtype, shapeSize(shape));
  const r = shape.length;
  backendFor(x.dtype).where(
    c.data,
    padShape(c.shape, r),
    x.data,
    padShape(x.shape, r),
    y.data,
    padShape(y.shape, r),
    out,
    shape,
  );
  return new Tensor(out, shape);
}

/** x with `value` wherever mask is true (torch.masked_fill); no gradient reaches filled places. */
export function maskedFill(x: Tensor, mask: Mask, value: number): Tensor {
  return where(mask, value, x);
}
