import type { FloatArray } from '../backend/backend.js';
import { backendFor } from '../backend/registry.js';

/**
 * The inner loops of the optimizers: one in-place pass over one parameter's values, with every
 * hyperparameter a plain number. They allocate nothing and know nothing of tensors. Each runs
 * the backend kernel for the array's precision ({@link Backend.sgdStep}, {@link Backend.adamStep}):
 * float64 on js (its reference loops compute in float64 and round once per stored value, step
 * for step as PyTorch 1.13's single-tensor implementation), float32 on the active backend
 * (native: vectorised float32, threaded over large parameters).
 */

/** js when either array is float64 (a float64 gradient of a float32 parameter included). */
function backendOf(p: FloatArray, g: FloatArray) {
  return backendFor(p instanceof Float64Array || g instanceof Float64Array ? 'float64' : 'float32');
}

/**
 * SGD with momentum, dampening, Nesterov and L2 weight decay (torch.optim.SGD):
 *   d = ±g + λ·p
 *   b = d                          on the first step (the buffer starts as a copy of d)
 *   b = μ·b + (1 − τ)·d            afterwards
 *   d = d + μ·b (Nesterov) or b
 *   p = p − η·d
 * `buf` is null when momentum is 0; `firstStep` says the buffer holds nothing yet.
 */
export function sgdKernel(
  p: FloatArray,
  g: FloatArray,
  buf: FloatArray | null,
  firstStep: boolean,
  lr: number,
  momentum: number,
  dampening: number,
  nesterov: boolean,
  weightDecay: number,
  maximize: boolean,
): void {
  backendOf(p, g).sgdStep(p, g, buf, { lr, momentum, dampening, nesterov, weightDecay, maximize, firstStep });
}

/**
 * Adam (Kingma & Ba 2015, Algorithm 1) as torch.optim.Adam, or AdamW (Loshchilov & Hutter 2019)
 * as torch.optim.AdamW when `decoupled`; t is this parameter's step count after the increment:
 *   g = ±g + λ·p                   (Adam: L2 added to the gradient)
 *   p = p·(1 − η·λ)                (AdamW: decoupled decay, before the update)
 *   m = β₁·m + (1 − β₁)·g
 *   v = β₂·v + (1 − β₂)·g²
 *   v̂ = max(v̂, v)                  (AMSGrad only; the denominator then uses v̂)
 *   p = p − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
 * `vMax` is null unless AMSGrad.
 */
export function adamKernel(
  p: FloatArray,
  g: FloatArray,
  m: FloatArray,
  v: FloatArray,
  vMax: FloatArray | null,
  step: number,
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
  weightDecay: number,
  decoupled: boolean,
  maximize: boolean,
): void {
  backendOf(p, g).adamStep(p, g, m, v, vMax, {
    step,
    lr,
    beta1,
    beta2,
    eps,
    weightDecay,
    decoupled,
    maximize,
  });
}
