import { add, div, mul, sub } from '../ops/binary.js';
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
    const centered = sub(x, mean(x, -1, true)); // [..., D]
    const variance = mean(square(centered), -1, true); // [..., 1]
    let y = div(centered, sqrt(add(variance, this.eps)));
    if (this.weight) y = mul(y, this.weight);
    if (this.bias) y = add(y, this.bias);
    return y;
  }
}
