import type { FloatArray } from '../backend/backend.js';

/**
 * The inner loops of the optimizers: one in-place pass over one parameter's values, with every
 * hyperparameter a plain number. They allocate nothing and know nothing of tensors, so a fused
 * native kernel can replace each one without touching the optimizer classes. Each follows the
 * single-tensor ("for-loop") implementation of PyTorch 1.13 (torch/optim/sgd.py, adam.py,
 * adamw.py) step for step, computing in float64 and rounding once per stored value.
 */

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
  const sign = maximize ? -1 : 1;
  const n = p.length;
  for (let i = 0; i < n; i++) {
    let d = sign * g[i];
    if (weightDecay !== 0) d += weightDecay * p[i];
    if (buf !== null) {
      buf[i] = firstStep ? d : momentum * buf[i] + (1 - dampening) * d;
      d = nesterov ? d + momentum * buf[i] : buf[i];
    }
    p[i] -= lr * d;
  }
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
  const sign = maximize ? -1 : 1;
  const l2 = decoupled ? 0 : weightDecay;
  const decay = decoupled ? 1 - lr * weightDecay : 1;
  const stepSize = lr / (1 - beta1 ** step);
  const bc2Sqrt = Math.sqrt(1 - beta2 ** step);
  const n = p.length;
  for (let i = 0; i < n; i++) {
    let gi = sign * g[i];
    if (l2 !== 0) gi += l2 * p[i];
    m[i] = beta1 * m[i] + (1 - beta1) * gi;
    v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
    let second = v[i];
    if (vMax !== null) {
      // torch.maximum: NaN propagates.
      if (!(vMax[i] >= second)) vMax[i] = second;
      second = vMax[i];
    }
    p[i] = p[i] * decay - (stepSize * m[i]) / (Math.sqrt(second) / bc2Sqrt + eps);
  }
}
