import { attach } from '../autograd/engine.js';
import { backendFor } from '../backend/registry.js';
import { allocate, normAxis, Tensor } from '../tensor/tensor.js';
import { transpose } from './shape.js';

/**
 * softmax(x)ᵢ = exp(xᵢ − max x) / Σⱼ exp(xⱼ − max x) along `axis` (default last), computed by a
 * fused backend kernel. A slice that is entirely −∞ (every key masked) gives zeros, not NaN.
 * Backward: dx = y ⊙ (g − Σ g⊙y).
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  return softmaxAlong(x, axis, false);
}

/** log softmax(x) = x − logΣexp(x), stable. Backward: dx = g − softmax(x)·Σ g. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return softmaxAlong(x, axis, true);
}

function softmaxAlong(x: Tensor, axis: number, log: boolean): Tensor {
  const a = normAxis(log ? 'logSoftmax' : 'softmax', axis, x.ndim);
  if (a !== x.ndim - 1) {
    // Move the axis last, apply, move it back; the transposes carry their own gradients.
    return transpose(softmaxAlong(transpose(x, a, -1), -1, log), a, -1);
  }
  const cols = x.ndim === 0 ? 1 : x.shape[x.ndim - 1];
  const rows = cols === 0 ? 0 : x.size / cols;
  const be = backendFor(x.dtype);
  const y = allocate(x.dtype, x.size);
  be.softmax(x.data, rows, cols, y, log);
  const out = new Tensor(y, x.shape);
  return attach(out, log ? 'logSoftmax' : 'softmax', [x], (g) => {
    const gx = allocate(g.dtype, g.size);
    be.softmaxBackward(y, g.data, rows, cols, gx, log);
    return [new Tensor(gx, x.shape)];
  });
}
