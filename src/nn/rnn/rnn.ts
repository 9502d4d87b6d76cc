import type { Tensor } from '../../tensor/tensor.js';
import { HeedError } from '../../util/errors.js';
import { type InitOptions, uniformParam } from '../init.js';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';
import {
  type CellKind,
  type DirectionWeights,
  gateCount,
  type RecurrentInputs,
  type RecurrentOutputs,
  runRecurrent,
} from './recurrent.js';
import type { Nonlinearity } from './steps.js';

/** Configuration shared by RNN, LSTM and GRU (always batch-first). */
export interface RecurrentConfig {
  /** Features of each input step (I). */
  inputSize: number;
  /** Features of the hidden state (H). */
  hiddenSize: number;
  /** Stacked layers; layer l > 0 reads the output of layer l − 1 (default 1). */
  numLayers?: number;
  /** Also run every layer right to left; outputs are [forward | reverse] (default false). */
  bidirectional?: boolean;
  /** Learn the biases b_ih and b_hh (default true). */
  bias?: boolean;
  /** Dropout on the output of every layer but the last, in training mode only (default 0). */
  dropout?: number;
}

/** RNN's configuration: the shared one plus the nonlinearity. */
export interface RNNConfig extends RecurrentConfig {
  /** 'tanh' (default) or 'relu'. */
  nonlinearity?: Nonlinearity;
}

/** The defaults of the optional {@link RecurrentConfig} fields (PyTorch's). */
export const recurrentDefaults = { numLayers: 1, bidirectional: false, bias: true, dropout: 0 } as const;

const sharedKeys = ['inputSize', 'hiddenSize', 'numLayers', 'bidirectional', 'bias', 'dropout'];

/** Options of RNN and GRU forward passes. */
export type RecurrentOptions = Omit<RecurrentInputs, 'c0'>;

/** What RNN and GRU return. */
export interface RecurrentResult {
  /** Top layer's hidden states [B, T, D·H], [forward | reverse]; exactly 0 past each length. */
  output: Tensor;
  /** Final hidden state of every layer and direction [L·D, B, H] (at each sequence's own end). */
  hN: Tensor;
}

/** What LSTM returns: also the final cell state. */
export interface LSTMResult extends RecurrentResult {
  /** Final cell state [L·D, B, H]. */
  cN: Tensor;
}

/**
 * A stack of recurrent layers of one cell kind, with PyTorch's parameter names
 * (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, `weight_ih_l0_reverse`, …) and
 * initialisation U(±1/√H), so `loadStateDict` takes a PyTorch state dict as it is.
 */
abstract class RecurrentLayer extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly dropout: number;
  /** weights[layer][direction], the registered parameters. */
  protected readonly weights: DirectionWeights[][] = [];

  constructor(
    protected readonly kind: CellKind,
    config: RecurrentConfig,
    allowedKeys: readonly string[],
    init: InitOptions | undefined,
  ) {
    super();
    const name = this.constructor.name;
    for (const key of Object.keys(config)) {
      if (!allowedKeys.includes(key)) {
        throw new HeedError(`${name}: unknown config key '${key}'; valid keys: ${allowedKeys.join(', ')}`);
      }
    }
    const c = { ...recurrentDefaults, ...config };
    for (const key of ['inputSize', 'hiddenSize', 'numLayers'] as const) {
      if (!Number.isInteger(c[key]) || c[key] < 1) {
        throw new HeedError(`${name}: ${key} must be a positive integer, got ${c[key]}`);
      }
    }
    if (!(c.dropout >= 0 && c.dropout < 1)) {
      throw new HeedError(`${name}: dropout must be in [0, 1), got ${c.dropout}`);
    }
    this.inputSize = c.inputSize;
    this.hiddenSize = c.hiddenSize;
    this.numLayers = c.numLayers;
    this.bidirectional = c.bidirectional;
    this.dropout = c.dropout;

    const rows = gateCount[kind] * c.hiddenSize;
    const bound = 1 / Math.sqrt(c.hiddenSize);
    const param = (key: string, shape: number[]): Parameter =>
      this.addParameter(key, uniformParam(shape, bound, init));
    for (let l = 0; l < c.numLayers; l++) {
      const layerInput = l === 0 ? c.inputSize : c.hiddenSize * this.directions;
      const dirs: DirectionWeights[] = [];
      for (let d = 0; d < this.directions; d++) {
        const suffix = `_l${l}${d === 1 ? '_reverse' : ''}`;
        const weightIh = param(`weight_ih${suffix}`, [rows, layerInput]);
        const weightHh = param(`weight_hh${suffix}`, [rows, c.hiddenSize]);
        const biasIh = c.bias ? param(`bias_ih${suffix}`, [rows]) : null;
        const biasHh = c.bias ? param(`bias_hh${suffix}`, [rows]) : null;
        dirs.push({ weightIh, weightHh, biasIh, biasHh });
      }
      this.weights.push(dirs);
    }
  }

  /** 2 when bidirectional, else 1 (D). */
  get directions(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** 'LSTM(3, 4)', for messages. */
  get label(): string {
    return `${this.constructor.name}(${this.inputSize}, ${this.hiddenSize})`;
  }

  protected run(x: Tensor, opts: RecurrentInputs, nonlinearity: Nonlinearity = 'tanh'): RecurrentOutputs {
    return runRecurrent(
      {
        label: this.label,
        kind: this.kind,
        nonlinearity,
        inputSize: this.inputSize,
        hiddenSize: this.hiddenSize,
        weights: this.weights,
        dropout: this.dropout,
        training: this.training,
      },
      x,
      opts,
    );
  }
}

/** Elman RNN layers: h_t = tanh(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh) (or relu). */
export class RNN extends RecurrentLayer {
  readonly nonlinearity: Nonlinearity;

  constructor(config: RNNConfig, init?: InitOptions) {
    super('rnn', config, [...sharedKeys, 'nonlinearity'], init);
    this.nonlinearity = config.nonlinearity ?? 'tanh';
    if (this.nonlinearity !== 'tanh' && this.nonlinearity !== 'relu') {
      throw new HeedError(`RNN: nonlinearity must be 'tanh' or 'relu', got '${this.nonlinearity}'`);
    }
  }

  /**
   * x [B, T, I] (padded; `lengths` gives each sequence's real length), h0 [L·D, B, H] →
   * output [B, T, D·H], hN [L·D, B, H].
   */
  forward(x: Tensor, opts: RecurrentOptions = {}): RecurrentResult {
    const { output, hN } = this.run(x, opts, this.nonlinearity);
    return { output, hN };
  }
}

/** LSTM layers (gates i, f, g, o as in PyTorch). */
export class LSTM extends RecurrentLayer {
  constructor(config: RecurrentConfig, init?: InitOptions) {
    super('lstm', config, sharedKeys, init);
  }

  /**
   * x [B, T, I] (padded; `lengths` gives each sequence's real length), h0 and c0 [L·D, B, H] →
   * output [B, T, D·H], hN and cN [L·D, B, H].
   */
  forward(x: Tensor, opts: RecurrentInputs = {}): LSTMResult {
    const { output, hN, cN } = this.run(x, opts);
    if (cN === null) throw new HeedError('LSTM: no cell state was computed'); // unreachable
    return { output, hN, cN };
  }
}

/** GRU layers (gates r, z, n as in PyTorch, with b_hn inside r ⊙ (…)). */
export class GRU extends RecurrentLayer {
  constructor(config: RecurrentConfig, init?: InitOptions) {
    super('gru', config, sharedKeys, init);
  }

  /**
   * x [B, T, I] (padded; `lengths` gives each sequence's real length), h0 [L·D, B, H] →
   * output [B, T, D·H], hN [L·D, B, H].
   */
  forward(x: Tensor, opts: RecurrentOptions = {}): RecurrentResult {
    const { output, hN } = this.run(x, opts);
    return { output, hN };
  }
}
