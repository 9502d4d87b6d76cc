import { attach } from '../autograd/engine.js';
import type { UnaryOp } from '../backend/backend.js';
import { backendFor } from '../backend/registry.js';
import { allocateUninit, Tensor } from '../tensor/tensor.js';

function unaryRaw(op: UnaryOp, x: Tensor): Tensor {
  const out = allocateUninit(x.dtype, x.size);
  backendFor(x.dtype).unary(op, x.data, out);
  return new Tensor(out, x.shape);
}

/**
 * A unary op with its gradient g ⊙ op'(x), computed by the backend's fused unaryBackward from
 * the saved input x and output y (tanh and sigmoid use y; relu and gelu use x).
 */
function unary(op: UnaryOp, x: Tensor): Tensor {
  const y = unaryRaw(op, x);
  return attach(y, op, [x], (g) => {
    const out = allocateUninit(g.dtype, g.size);
    backendFor(g.dtype).unaryBackward(op, x.data, y.data, g.data, out);
    return [new Tensor(out, g.shape)];
  });
}

/** −x. */
export const neg = (x: Tensor): Tensor => unary('neg', x);
/** eˣ. */
export const exp = (x: Tensor): Tensor => unary('exp', x);
/** Natural logarithm. */
export const log = (x: Tensor): Tensor => unary('log', x);
/** Hyperbolic tangent. */
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
/** Logistic sigmoid 1 / (1 + e⁻ˣ). */
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
/** max(x, 0); the gradient at 0 is 0, as in PyTorch. */
export const relu = (x: Tensor): Tensor => unary('relu', x);
/** GELU, exact erf form (PyTorch's default `approximate='none'`). */
export const gelu = (x: Tensor): Tensor => unary('gelu', x);
/** √x. */
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
/** |x|; the gradient at 0 is 0. */
export const abs = (x: Tensor): Tensor => unary('abs', x);
/** x². */
export const square = (x: Tensor): Tensor => unary('square', x);
