import { embedding, type Indices } from '../ops/indexing.js';
import type { Tensor } from '../tensor/tensor.js';
import { type InitOptions, normalParam } from './init.js';
import { Module } from './module.js';
import type { Parameter } from './parameter.js';

export interface EmbeddingConfig {
  /** This id's row starts at zero and never receives a gradient (the padding token). */
  paddingIdx?: number;
}

/** A lookup table [numEmbeddings, dim], initialised N(0, 1) as in PyTorch. */
export class Embedding extends Module {
  readonly weight: Parameter;
  readonly paddingIdx: number | undefined;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    config: EmbeddingConfig = {},
    init?: InitOptions,
  ) {
    super();
    this.paddingIdx = config.paddingIdx;
    this.weight = this.addParameter('weight', normalParam([numEmbeddings, embeddingDim], 1, 0, init));
    if (this.paddingIdx !== undefined)
      this.weight.data.fill(0, this.paddingIdx * embeddingDim, (this.paddingIdx + 1) * embeddingDim);
  }

  /** ids (shape `idsShape`, default flat) → [...idsShape, dim]. */
  forward(ids: Indices, idsShape: readonly number[] = [ids.length]): Tensor {
    return embedding(this.weight, ids, idsShape, this.paddingIdx);
  }
}
