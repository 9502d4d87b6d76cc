import { Dropout } from '../../nn/dropout.js';
import { Embedding } from '../../nn/embedding.js';
import type { InitOptions } from '../../nn/init.js';
import { Linear } from '../../nn/linear.js';
import { Module } from '../../nn/module.js';
import { GRU, LSTM } from '../../nn/rnn/rnn.js';
import { unbind } from '../../nn/rnn/split.js';
import { permute, reshape } from '../../ops/shape.js';
import { tanh } from '../../ops/unary.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { ResolvedSeq2SeqConfig } from './config.js';

/** What the encoder hands the decoder. */
export interface EncoderResult {
  /** The top layer's states h_1 … h_Ts [B, Ts, E_out], E_out = D·H ([forward | reverse]); 0 past each length. */
  outputs: Tensor;
  /** The decoder's initial hidden state, one [B, H] per layer (L of them). */
  hidden: Tensor[];
  /** For an LSTM, the decoder's initial cell state per layer; null for a GRU. */
  cell: Tensor[] | null;
}

/**
 * The recurrent encoder: embedding → dropout → (bi)GRU/LSTM over the padded batch (each row
 * read to its own length, as packed sequences) → the states h_i that the decoder attends to.
 *
 * The bridge (the decoder's initial state). Layer l of the decoder starts from
 *   s_0^l = tanh(W_b · [→h_l ; ←h_l] + b_b),
 * where →h_l is layer l's forward state after the last real token and ←h_l its reverse state
 * after reading back to the first token (just →h_l when unidirectional). W_b (`bridge`,
 * Linear(D·H → H)) is one matrix shared by all layers: the layers' final states play the same
 * role, and sharing keeps the parameter count independent of depth. An LSTM's cell state goes
 * through its own `bridgeCell` the same way (tanh included, as JoeyNMT does). Why a learned
 * bridge rather than copying the states: a bidirectional encoder's final state is 2H wide and
 * the decoder's H; Bahdanau et al. (2014, A.2.2) likewise start from s_0 = tanh(W_s ←h_1).
 * With attention 'none' this state is all the decoder ever sees of the source.
 */
export class Seq2SeqEncoder extends Module {
  readonly embedding: Embedding;
  readonly dropout: Dropout;
  readonly rnn: GRU | LSTM;
  readonly bridge: Linear;
  readonly bridgeCell: Linear | null;

  constructor(
    readonly config: ResolvedSeq2SeqConfig,
    init?: InitOptions,
  ) {
    super();
    const { srcVocabSize, embedDim, hiddenSize, numLayers, bidirectional, dropout, padId, cell } = config;
    this.embedding = this.addModule(
      'embedding',
      new Embedding(srcVocabSize, embedDim, { paddingIdx: padId }, init),
    );
    this.dropout = this.addModule('dropout', new Dropout(dropout));
    const rnnConfig = { inputSize: embedDim, hiddenSize, numLayers, bidirectional, dropout };
    this.rnn = this.addModule('rnn', cell === 'lstm' ? new LSTM(rnnConfig, init) : new GRU(rnnConfig, init));
    const dirs = bidirectional ? 2 : 1;
    this.bridge = this.addModule('bridge', new Linear(dirs * hiddenSize, hiddenSize, {}, init));
    this.bridgeCell =
      cell === 'lstm'
        ? this.addModule('bridgeCell', new Linear(dirs * hiddenSize, hiddenSize, {}, init))
        : null;
  }

  /** E_out = D·H, the width of each encoder state h_i (the attention's keys and values). */
  get outputSize(): number {
    return (this.config.bidirectional ? 2 : 1) * this.config.hiddenSize;
  }

  /**
   * ids [B, Ts] (checked by the model) with each row's real length → outputs [B, Ts, D·H] and
   * the decoder's initial state (L × [B, H]).
   */
  forward(
    ids: Int32Array | readonly number[],
    shape: readonly [number, number],
    lengths: Int32Array,
  ): EncoderResult {
    const x = this.dropout.forward(this.embedding.forward(ids, shape)); // [B, Ts, E]
    let outputs: Tensor;
    let hidden: Tensor[];
    let cell: Tensor[] | null = null;
    if (this.rnn instanceof LSTM) {
      const r = this.rnn.forward(x, { lengths });
      outputs = r.output;
      hidden = this.bridgeStates(this.bridge, r.hN);
      if (this.bridgeCell !== null) cell = this.bridgeStates(this.bridgeCell, r.cN);
    } else {
      const r = this.rnn.forward(x, { lengths });
      outputs = r.output;
      hidden = this.bridgeStates(this.bridge, r.hN);
    }
    return { outputs, hidden, cell };
  }

  /** Final states [L·D, B, H] (rows l0 fwd, l0 rev, l1 fwd, …) → L × tanh(W_b [→h_l; ←h_l] + b) [B, H]. */
  private bridgeStates(layer: Linear, final: Tensor): Tensor[] {
    const { numLayers: l, hiddenSize: h } = this.config;
    const b = final.shape[1];
    const dirs = this.config.bidirectional ? 2 : 1;
    const perLayer =
      dirs === 1
        ? final // [L, B, H]
        : reshape(permute(reshape(final, [l, 2, b, h]), [0, 2, 1, 3]), [l, b, 2 * h]); // [L, B, 2H]
    const s0 = tanh(layer.forward(perLayer)); // [L, B, H]
    return unbind(s0, 0); // L × [B, H]
  }
}
