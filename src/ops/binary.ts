import { attach } from '../autograd/engine.js';
import type { BinaryOp } from '../backend/backend.js';
import { backendFor } from '../backend/registry.js';
import { Mask } from '../tensor/mask.js';
import { allocateUninit, shapeSize, Tensor } from '../tensor/tensor.js';
import { asDType, broadcastShapes, padShape, promote, sumToShape } from './broadcast.js';
import { full } from './creation.js';
import { expand } from './shape.js';
import { log, neg } from './unary.js';
import { where } from './where.js';

/** A tensor or a plain number (a number becomes a 0-d tensor of the other operand's dtype). */
export type Operand = Tensor | number;

function lift(x: Operand, like: Operand): Tensor {
  if (x instanceof Tensor) return x;
  return full([], x, { dtype: like instanceof Tensor ? like.dtype : 'float32' });
}

/** Forward of a broadcasting binary op, without autograd. */
export function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes(op, a.shape, b.shape);
  const dtype = promote(a.dtype, b.dtype);
  const x = asDType(a, dtype);
  const y = asDType(b, dtype);
  const out = allocateUninit(dtype, shapeSize(shape));
  backendFor(dtype).binary(
    op,
    x.data,
    padShape(x.shape, shape.length),
    y.data,
    padShape(y.shape, shape.length),
    out,
    shape,
  );
  return new Tensor(out, shape);
}

/** a + b with broadcasting. ∂/∂a = g, ∂/∂b = g (summed over broadcast axes). */
export function add(a: Operand, b: Operand): Tensor {
  const x = lift(a, b);
  const y = lift(b, a);
  return attach(binaryRaw('add', x, y), 'add', [x, y], (g) => [
    sumToShape(g, x.shape),
    sumToShape(g, y.shape),
  ]);
}

/** a − b. ∂/∂a = g, ∂/∂b = −g. */
export function sub(a: Operand, b: Operand): Tensor {
  const x = lift(a, b);
  const y = lift(b, a);
  return attach(binaryRaw('sub', x, y), 'sub', [x, y], (g) => [
    sumToShape(g, x.shape),
    y.requiresGrad ? sumToShape(neg(g), y.shape) : null,
  ]);
}

/** a ⊙ b. ∂/∂a = g ⊙ b, ∂/∂b = g ⊙ a; saves both inputs. */
export function mul(a: Operand, b: Operand): Tensor {
  const x = lift(a, b);
  const y = lift(b, a);
  return attach(binaryRaw('mul', x, y), 'mul', [x, y], (g) => [
    x.requiresGrad ? sumToShape(binaryRaw('mul', g, y), x.shape) : null,
    y.requiresGrad ? sumToShape(binaryRaw('mul', g, x), y.shape) : null,
  ]);
}

/** a / b. ∂/∂a = g / b, ∂/∂b = −g·a / b² = −g·out / b; saves b and the output. */
export function div(a: Operand, b: Operand): Tensor {
  const x = lift(a, b);
  const y = lift(b, a);
  const out = binaryRaw('div', x, y);
  return attach(out, 'div', [x, y], (g) => {
    const gOverB = binaryRaw('div', g, y);
    return [
      x.requiresGrad ? sumToShape(gOverB, x.shape) : null,
      y.requiresGrad ? sumToShape(neg(binaryRaw('mul', gOverB, out)), y.shape) : null,
    ];
  });
}

/**
 * a ** b. ∂/∂a = g·b·a^(b−1), ∂/∂b = g·out·ln a. Where these give 0·∞ the derivative is 0, as in
 * PyTorch: ∂/∂a where b = 0 (a⁰ is constant), ∂/∂b where a = 0 and b ≥ 0.
 */
export function pow(a: Operand, b: Operand): Tensor {
  const x = lift(a, b);
  const y = lift(b, a);
  const out = binaryRaw('pow', x, y);
  return attach(out, 'pow', [x, y], (g) => {
    const yb = expand(y, out.shape).data;
    let ga: Tensor | null = null;
    if (x.requiresGrad) {
      const d = binaryRaw('mul', y, binaryRaw('pow', x, binaryRaw('sub', y, lift(1, y))));
      for (let i = 0; i < d.size; i++) if (yb[i] === 0) d.data[i] = 0;
      ga = sumToShape(binaryRaw('mul', g, d), x.shape);
    }
    let gb: Tensor | null = null;
    if (y.requiresGrad) {
      const xb = expand(x, out.shape).data;
      const d = binaryRaw('mul', out, log(x));
      for (let i = 0; i < d.size; i++) if (xb[i] === 0 && yb[i] >= 0) d.data[i] = 0;
      gb = sumToShape(binaryRaw('mul', g, d), y.shape);
    }
    return [ga, gb];
  });
}

/** Elementwise maximum; the gradient goes to the larger input (to a on ties). */
export function maximum(a: Operand, b: Operand): Tensor {
  return minMax('maximum', a, b);
}

/** Elementwise minimum; the gradient goes to the smaller input (to a on ties). */
export function minimum(a: Operand, b: Operand): Tensor {
  return minMax('minimum', a, b);
}

function minMax(op: 'maximum' | 'minimum', a: Operand, b: Operand): Tensor {
  const x = lift(a, b);
  const y = lift(b, a);
  const out = binaryRaw(op, x, y);
  return attach(out, op, [x, y], (g) => {
    // a won where out equals a (broadcast to the output's shape).
    const xa = expand(x, out.shape);
    const aWon = new Mask(
      Uint8Array.from(out.data, (v, i) => (v === xa.data[i] ? 1 : 0)),
      out.shape,
    );
    return [sumToShape(where(aWon, g, 0), x.shape), sumToShape(where(aWon, 0, g), y.shape)];
  });
}
