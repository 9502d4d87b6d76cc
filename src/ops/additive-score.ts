import { attach } from '../autograd/engine.js';
import { backendFor } from '../backend/registry.js';
import { allocate, allocateUninit, Tensor } from '../tensor/tensor.js';
import { fmtShape, ShapeError } from '../util/errors.js';
import { asDType, promote } from './broadcast.js';

/**
 * Bahdanau's additive scores as one node: s[b, i, j] = v·tanh(q[b, i] + k[b, j]) for projected
 * queries q [B, Tq, A] (W₁q) and projected keys k [B, Tk, A] (W₂k + b), v [A] → [B, Tq, Tk].
 * The same function as `squeeze(matmul(tanh(add(unsqueeze(q, 2), unsqueeze(k, 1))), v), 3)`,
 * which stays the reference, without its [B, Tq, Tk, A] energies: the kernel keeps each energy
 * row in registers, and the backward recomputes them (Backend.additiveScores). Saves q, k, v.
 */
export function additiveScore(q: Tensor, k: Tensor, v: Tensor): Tensor {
  if (
    q.ndim !== 3 ||
    k.ndim !== 3 ||
    v.ndim !== 1 ||
    q.shape[0] !== k.shape[0] ||
    q.shape[2] !== k.shape[2] ||
    v.shape[0] !== q.shape[2]
  ) {
    throw new ShapeError(
      `additiveScore: expected q [B, Tq, A], k [B, Tk, A], v [A]; got q ${fmtShape(q.shape)}, k ${fmtShape(k.shape)}, v ${fmtShape(v.shape)}`,
    );
  }
  const [batch, tq, dim] = q.shape;
  const tk = k.shape[1];
  const dtype = promote(promote(q.dtype, k.dtype), v.dtype);
  const be = backendFor(dtype);
  const [qd, kd, vd] = [q, k, v].map((t) => asDType(t, dtype).data);
  const out = allocateUninit(dtype, batch * tq * tk);
  be.additiveScores(qd, kd, vd, batch, tq, tk, dim, out);
  return attach(new Tensor(out, [batch, tq, tk]), 'additiveScore', [q, k, v], (g) => {
    const dq = allocate(dtype, q.size);
    const dk = allocate(dtype, k.size);
    const dv = allocate(dtype, dim);
    be.additiveScoresBackward(qd, kd, vd, asDType(g, dtype).data, batch, tq, tk, dim, dq, dk, dv);
    const grad = (x: Tensor, buf: typeof dq): Tensor | null =>
      x.requiresGrad ? asDType(new Tensor(buf, x.shape), x.dtype) : null;
    return [grad(q, dq), grad(k, dk), grad(v, dv)];
  });
}
