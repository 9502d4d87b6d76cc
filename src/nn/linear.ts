import { add } from '../ops/binary.js';
import { matmul } from '../ops/matmul.js';
import { reshape } from '../ops/shape.js';
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
    const x2 = x.ndim === 1 ? reshape(x, [1, this.inFeatures]) : x;
    const y = matmul(x2, this.weight, { transB: true }); // [..., out]
    const out = this.bias ? add(y, this.bias) : y;
    return x.ndim === 1 ? reshape(out, [this.outFeatures]) : out;
  }
}
