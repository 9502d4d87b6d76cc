import { backendFor } from '../backend/registry.js';
import { allocate, type Tensor } from '../tensor/tensor.js';
import { HeedError } from '../util/errors.js';

/**
 * Rescales gradients in place so that their joint norm is at most `maxNorm`, as
 * torch.nn.utils.clip_grad_norm_ (1.13): the total norm is taken over all gradients viewed as
 * one vector, and every gradient is multiplied by maxNorm / (total + 1e-6) when that factor is
 * below 1. Parameters without a gradient are skipped. `normType` is p ≥ 1 or Infinity (max |g|).
 * Returns the total norm before clipping (NaN or Infinity are returned, and nothing is scaled).
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number, normType = 2): number {
  if (!(maxNorm >= 0)) throw new HeedError(`clipGradNorm: maxNorm must be >= 0, got ${maxNorm}`);
  if (!(normType > 0)) throw new HeedError(`clipGradNorm: normType must be > 0 or Infinity, got ${normType}`);
  const grads: Tensor[] = [];
  for (const p of params) if (p.grad !== null) grads.push(p.grad);
  const total = gradNorm(grads, normType);
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) {
    for (const g of grads) {
      // g ← g · coef, in place, as one broadcast multiply on g's backend.
      const factor = allocate(g.dtype, 1);
      factor[0] = coef;
      backendFor(g.dtype).binary('mul', g.data, [g.size], factor, [1], g.data, [g.size]);
    }
  }
  return total;
}

/**
 * The p-norm of several tensors viewed as one vector: each tensor's Σ|g|^p (or max |g|) is one
 * backend reduction accumulated in float64 ({@link Backend.normPow}), combined here.
 */
export function gradNorm(grads: readonly Tensor[], normType = 2): number {
  let acc = 0;
  for (const g of grads) {
    const part = backendFor(g.dtype).normPow(g.data, normType);
    if (normType !== Infinity) acc += part;
    else if (part > acc || Number.isNaN(part)) acc = part; // NaN propagates and then stays
  }
  if (normType === Infinity || normType === 1) return acc;
  return normType === 2 ? Math.sqrt(acc) : acc ** (1 / normType);
}
