import type { FloatArray } from '../backend/backend.js';
import { Tensor } from '../tensor/tensor.js';

/** A learnable tensor: a leaf that requires gradients and that optimizers update in place. */
export class Parameter extends Tensor {
  constructor(data: FloatArray, shape: readonly number[]) {
    super(data, shape);
    this.requiresGrad = true;
  }

  /** Wraps a tensor's values (copied) as a parameter. */
  static from(t: Tensor): Parameter {
    return new Parameter(t.data.slice(), t.shape);
  }
}
