import { add } from '../../ops/binary.js';
import { fromArray } from '../../ops/creation.js';
import { slice } from '../../ops/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { fmtShape, HeedError, ShapeError } from '../../util/errors.js';
import { Dropout } from '../dropout.js';
import { type InitOptions, normalParam } from '../init.js';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';

/** Values of the sinusoidal encoding of Vaswani et al. (2017, §3.5) for positions 0..maxLen−1. */
export function sinusoidalTable(maxLen: number, dModel: number): Float32Array {
  const table = new Float32Array(maxLen * dModel);
  for (let pos = 0; pos < maxLen; pos++) {
    for (let i = 0; i < dModel; i += 2) {
      // PE(pos, 2i) = sin(pos / 10000^(2i/d)),  PE(pos, 2i+1) = cos(pos / 10000^(2i/d))
      const angle = pos / 10000 ** (i / dModel);
      table[pos * dModel + i] = Math.sin(angle);
      if (i + 1 < dModel) table[pos * dModel + i + 1] = Math.cos(angle);
    }
  }
  return table;
}

function checkInput(name: string, x: Tensor, dModel: number, maxLen: number): void {
  if (x.ndim !== 3 || x.shape[2] !== dModel) {
    throw new ShapeError(`${name}: input ${fmtShape(x.shape)} must be [B, T, ${dModel}]`);
  }
  if (x.shape[1] > maxLen) {
    throw new HeedError(`${name}: sequence length ${x.shape[1]} exceeds maxLen ${maxLen}`);
  }
}

/** x + PE[:T], then dropout: fixed sinusoidal positions (no parameters). */
export class SinusoidalPositionalEncoding extends Module {
  private readonly table: Tensor;
  readonly dropout: Dropout;

  constructor(
    readonly dModel: number,
    readonly maxLen = 5000,
    dropout = 0,
  ) {
    super();
    this.table = fromArray(sinusoidalTable(maxLen, dModel), [1, maxLen, dModel]);
    this.dropout = this.addModule('dropout', new Dropout(dropout));
  }

  /** x [B, T, D] → [B, T, D]; `offset` shifts the positions (incremental decoding). */
  forward(x: Tensor, offset = 0): Tensor {
    checkInput('SinusoidalPositionalEncoding', x, this.dModel, this.maxLen - offset);
    return this.dropout.forward(add(x, slice(this.table, 1, offset, offset + x.shape[1])));
  }
}

/** x + P[:T] with a learned position table P [maxLen, D] (GPT-2 style), then dropout. */
export class LearnedPositionalEmbedding extends Module {
  readonly weight: Parameter;
  readonly dropout: Dropout;

  constructor(
    readonly maxLen: number,
    readonly dModel: number,
    dropout = 0,
    init?: InitOptions,
  ) {
    super();
    this.weight = this.addParameter('weight', normalParam([maxLen, dModel], 0.02, 0, init));
    this.dropout = this.addModule('dropout', new Dropout(dropout));
  }

  /** x [B, T, D] → [B, T, D]; `offset` shifts the positions (incremental decoding). */
  forward(x: Tensor, offset = 0): Tensor {
    checkInput('LearnedPositionalEmbedding', x, this.dModel, this.maxLen - offset);
    return this.dropout.forward(add(x, slice(this.weight, 0, offset, offset + x.shape[1])));
  }
}
