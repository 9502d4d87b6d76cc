/**
 * Reference kernels of the optimizer updates and the gradient-norm reduction (the equations are
 * on the {@link Backend} members). Each update is one in-place pass over one parameter's values
 * that follows the single-tensor ("for-loop") implementation of PyTorch 1.13
 * (torch/optim/sgd.py, adam.py, adamw.py) step for step, computing in float64 and rounding once
 * per stored value.
 */
import type { Backend } from '../backend.js';

export const sgdStepJs: Backend['sgdStep'] = (p, g, buf, h) => {
  const { lr, momentum, dampening, nesterov, weightDecay, firstStep } = h;
  const sign = h.maximize ? -1 : 1;
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
};

export const adamStepJs: Backend['adamStep'] = (p, g, m, v, vMax, h) => {
  const { step, lr, beta1, beta2, eps, weightDecay, decoupled } = h;
  const sign = h.maximize ? -1 : 1;
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
      // Keeps vMax unless v is larger or NaN.
      if (!(vMax[i] >= second)) vMax[i] = second;
      second = vMax[i];
    }
    p[i] = p[i] * decay - (stepSize * m[i]) / (Math.sqrt(second) / bc2Sqrt + eps);
  }
};

export const normPowJs: Backend['normPow'] = (x, p) => {
  let acc = 0;
  const n = x.length;
  if (p === Number.POSITIVE_INFINITY) {
    for (let i = 0; i < n; i++) {
      const a = Math.abs(x[i]);
      if (a > acc || Number.isNaN(a)) acc = a; // NaN propagates and then stays
    }
  } else if (p === 2) {
    for (let i = 0; i < n; i++) acc += x[i] * x[i];
  } else if (p === 1) {
    for (let i = 0; i < n; i++) acc += Math.abs(x[i]);
  } else {
    for (let i = 0; i < n; i++) acc += Math.abs(x[i]) ** p;
  }
  return acc;
};
