import { dropout } from '../ops/dropout.js';
import type { Tensor } from '../tensor/tensor.js';
import { defaultGenerator, type Generator } from '../util/random.js';
import { Module } from './module.js';

/** Inverted dropout with probability p, active only in training mode. */
export class Dropout extends Module {
  constructor(
    readonly p = 0.5,
    private readonly generator: Generator = defaultGenerator,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this.generator);
  }
}
