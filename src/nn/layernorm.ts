import { add, div, mul, sub } from '../ops/binary.js';
import { layerNorm } from '../ops/layer-norm.js';
import { mean } from '../ops/reduce.js';
import { sqrt, square } from '../ops/unary.js';
import type { Tensor } from '../tensor/tensor.js';
import { fmtShape, ShapeError } from '../util/errors.js';
import { constantParam, type InitOptions } from './init.js';
import { Module } from './module.js';
import type { Parameter } from './parameter.js';

export interface LayerNormConfig {
  /** Added to the variance (PyTorch's default 1e-5). */
  eps?: number;
  /** Learn a scale and shift (default true). */
  elementwiseAffine?: boolean;
}

/**
 * Layer normalisation composed of ops, the reference for the fused `layerNorm` op
 * (src/ops/layer-norm.ts), which computes the same function and gradients in one node:
 *   y = (x − μ) / √(σ² + ε) · γ + β,  μ and σ² (biased) over the last axis.
 * x [..., D], weight γ and bias β [D] or null → [..., D].
 */
export function layerNormComposed(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  const centered = sub(x, mean(x, -1, true)); // [..., D]
  const variance = mean(square(centered), -1, true); // [..., 1]
  let y = div(centered, sqrt(add(variance, eps)));
  if (weight) y = mul(y, weight);
  if (bias) y = add(y, bias);
  return y;
}

/**
 * Which implementation LayerNorm (and GPT's) runs: the fused op (true, the default) or the
 * composition (false). Both compute the same function with the same gradients; the switch lets
 * tests and benchmarks run the reference through the very same module code.
 */
let fused = true;

/** Selects the fused layer norm op (true, the default) or the composed reference (false). */
export function setFusedLayerNorm(on: boolean): void {
  fused = on;
}

/** Whether the modules currently run the fused layer norm op. */
export function fusedLayerNorm(): boolean {
  return fused;
}

/** Layer normalisation of x [..., D] over its last axis by the selected implementation. */
export function runLayerNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  return fused ? layerNorm(x, weight, bias, eps) : layerNormComposed(x, weight, bias, eps);
}

/**
 * Layer normalisation over the last axis (Ba et al. 2016):
 *   y = (x − μ) / √(σ² + ε) · γ + β,  μ and σ² (biased) over the last axis.
 */
export class LayerNorm extends Module {
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  readonly eps: number;

  constructor(
    readonly normalizedShape: number,
    config: LayerNormConfig = {},
    init?: InitOptions,
  ) {
    super();
    this.eps = config.eps ?? 1e-5;
    const affine = config.elementwiseAffine ?? true;
    this.weight = this.addParameter('weight', affine ? constantParam([normalizedShape], 1, init) : null);
    this.bias = this.addParameter('bias', affine ? constantParam([normalizedShape], 0, init) : null);
  }

  /** x [..., D] → [..., D]. */
  forward(x: Tensor): Tensor {
    if (x.shape[x.ndim - 1] !== this.normalizedShape) {
      throw new ShapeError(
        `LayerNorm(${this.normalizedShape}): input ${fmtShape(x.shape)} must end in ${this.normalizedShape}`,
      );
    }
    return runLayerNorm(x, this.weight, this.bias, this.eps);
  }
}
