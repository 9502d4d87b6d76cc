import { add } from '../../ops/binary.js';
import { zeros } from '../../ops/creation.js';
import { matmul } from '../../ops/matmul.js';
import type { Tensor } from '../../tensor/tensor.js';
import { fmtShape, HeedError, ShapeError } from '../../util/errors.js';
import { type InitOptions, uniformParam } from '../init.js';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';
import { runGruStep, runLstmStep, runRnnStep } from './fused.js';
import type { LstmState, Nonlinearity } from './steps.js';

export interface CellConfig {
  /** Learn the biases b_ih and b_hh (default true). */
  bias?: boolean;
}

export interface RNNCellConfig extends CellConfig {
  /** 'tanh' (default) or 'relu'. */
  nonlinearity?: Nonlinearity;
}

/**
 * What the three cells share: W_ih [G·H, I], W_hh [G·H, H] and the two biases [G·H] under
 * PyTorch's names, all initialised U(±1/√H) as in PyTorch.
 */
abstract class RecurrentCell extends Module {
  readonly weightIh: Parameter;
  readonly weightHh: Parameter;
  readonly biasIh: Parameter | null;
  readonly biasHh: Parameter | null;

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    gates: number,
    config: CellConfig,
    init: InitOptions | undefined,
  ) {
    super();
    for (const [key, v] of [
      ['inputSize', inputSize],
      ['hiddenSize', hiddenSize],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) {
        throw new HeedError(`${this.constructor.name}: ${key} must be a positive integer, got ${v}`);
      }
    }
    const bound = 1 / Math.sqrt(hiddenSize);
    const rows = gates * hiddenSize;
    const bias = config.bias ?? true;
    this.weightIh = this.addParameter('weight_ih', uniformParam([rows, inputSize], bound, init));
    this.weightHh = this.addParameter('weight_hh', uniformParam([rows, hiddenSize], bound, init));
    this.biasIh = this.addParameter('bias_ih', bias ? uniformParam([rows], bound, init) : null);
    this.biasHh = this.addParameter('bias_hh', bias ? uniformParam([rows], bound, init) : null);
  }

  protected get label(): string {
    return `${this.constructor.name}(${this.inputSize}, ${this.hiddenSize})`;
  }

  /** x·W_ihᵀ + b_ih for x [B, I] → [B, G·H], after checking x. */
  protected project(x: Tensor): Tensor {
    if (x.ndim !== 2 || x.shape[1] !== this.inputSize) {
      throw new ShapeError(
        `${this.label}: input has shape ${fmtShape(x.shape)}, expected [B, ${this.inputSize}]`,
      );
    }
    const p = matmul(x, this.weightIh, { transB: true }); // [B, G·H]
    return this.biasIh === null ? p : add(p, this.biasIh);
  }

  /** The given state, checked to be [B, H], or zeros. */
  protected state(name: string, s: Tensor | undefined, x: Tensor): Tensor {
    const want = [x.shape[0], this.hiddenSize];
    if (s === undefined) return zeros(want, { dtype: x.dtype });
    if (s.ndim !== 2 || s.shape[0] !== want[0] || s.shape[1] !== want[1]) {
      throw new ShapeError(
        `${this.label}: ${name} has shape ${fmtShape(s.shape)}, expected ${fmtShape(want)}`,
      );
    }
    return s;
  }
}

/** One step of an Elman RNN, h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh) (or relu). */
export class RNNCell extends RecurrentCell {
  readonly nonlinearity: Nonlinearity;

  constructor(inputSize: number, hiddenSize: number, config: RNNCellConfig = {}, init?: InitOptions) {
    super(inputSize, hiddenSize, 1, config, init);
    this.nonlinearity = config.nonlinearity ?? 'tanh';
    if (this.nonlinearity !== 'tanh' && this.nonlinearity !== 'relu') {
      throw new HeedError(`RNNCell: nonlinearity must be 'tanh' or 'relu', got '${this.nonlinearity}'`);
    }
  }

  /** x [B, I], h [B, H] (default zeros) → h' [B, H]. */
  forward(x: Tensor, h?: Tensor): Tensor {
    const xProj = this.project(x);
    return runRnnStep(xProj, this.state('h', h, x), this.weightHh, this.biasHh, this.nonlinearity);
  }
}

/** One step of an LSTM; gates [i, f, g, o] as in PyTorch (see {@link lstmStep}). */
export class LSTMCell extends RecurrentCell {
  constructor(inputSize: number, hiddenSize: number, config: CellConfig = {}, init?: InitOptions) {
    super(inputSize, hiddenSize, 4, config, init);
  }

  /** x [B, I], h and c [B, H] (default zeros) → { h', c' } [B, H]. */
  forward(x: Tensor, h?: Tensor, c?: Tensor): LstmState {
    const xProj = this.project(x);
    return runLstmStep(xProj, this.state('h', h, x), this.state('c', c, x), this.weightHh, this.biasHh);
  }
}

/** One step of a GRU; gates [r, z, n] as in PyTorch (see {@link gruStep}). */
export class GRUCell extends RecurrentCell {
  constructor(inputSize: number, hiddenSize: number, config: CellConfig = {}, init?: InitOptions) {
    super(inputSize, hiddenSize, 3, config, init);
  }

  /** x [B, I], h [B, H] (default zeros) → h' [B, H]. */
  forward(x: Tensor, h?: Tensor): Tensor {
    const xProj = this.project(x);
    return runGruStep(xProj, this.state('h', h, x), this.weightHh, this.biasHh);
  }
}
