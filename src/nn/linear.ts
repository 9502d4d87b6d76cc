import { linear } from '../ops/linear.js';
import type { Tensor } from '../tensor/tensor.js';
import { fmtShape, ShapeError } from '../util/errors.js';
import { type InitOptions, linearInitBound, uniformParam } from './init.js';
import { Module } from './module.js';
import type { Parameter } from './parameter.js';

export interface LinearConfig {
  /** Add a learned bias (default true). */
  bias?: boolean;
}

/** y = x·Wᵀ + b, with W [out, in] as in PyTorch and PyTorch's initialisation. */
export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    config: LinearConfig = {},
    init?: InitOptions,
  ) {
    super();
    const bound = linearInitBound(inFeatures);
    this.weight = this.addParameter('weight', uniformParam([outFeatures, inFeatures], bound, init));
    this.bias = this.addParameter(
      'bias',
      config.bias === false ? null : uniformParam([outFeatures], bound, init),
    );
  }

  /** x [..., in] → [..., out]. */
  forward(x: Tensor): Tensor {
    if (x.ndim < 1 || x.shape[x.ndim - 1] !== this.inFeatures) {
      throw new ShapeError(
        `Linear(${this.inFeatures}, ${this.outFeatures}): input ${fmtShape(x.shape)} must end in ${this.inFeatures}`,
      );
    }
    return linear(x, this.weight, this.bias); // [..., out]
  }
}
