import type { StepOutput } from '../../decode/types.js';
import { PastAttention } from '../../nn/attention/causal-rnn.js';
import type { InitOptions } from '../../nn/init.js';
import { Linear } from '../../nn/linear.js';
import { zeros } from '../../ops/creation.js';
import { indexSelect } from '../../ops/indexing.js';
import { concat, unsqueeze } from '../../ops/shape.js';
import { logSoftmax } from '../../ops/softmax.js';
import type { Tensor } from '../../tensor/tensor.js';
import {
  type AttentiveRNNLMConfig,
  type ResolvedAttentiveRNNLMConfig,
  resolveAttentiveRNNLMConfig,
} from './config.js';
import { type LMOutput, RecurrentLM, type RecurrentState, type TokenBatch } from './recurrent-lm.js';

/** The decoding state: the recurrent state plus every hidden state produced so far. */
export interface AttentiveLMState extends RecurrentState {
  /** Top-layer hidden states of the steps already taken, [R, t, H] (t = 0 at the start). */
  past: Tensor;
}

/**
 * A recurrent language model that attends over its own past (seed 000, "seeing previous
 * hidden states to produce an output"; Cheng et al. 2016, Daniluk et al. 2017). There is no
 * encoder: at step t the hidden state h_t is the query, and the hidden states the RNN already
 * produced, h_0 … h_{t−1}, are both keys and values:
 *
 *   h_t      = LSTM(dropout(Embedding(x_t)), h_{t−1})          [H]   (top layer)
 *   α_{t,s}  = softmax_{s<t}(score(h_t, h_s))                   [t]
 *   c_t      = Σ_{s<t} α_{t,s} h_s                               [H]   (zero at t = 0)
 *   logits_t = W · dropout([h_t ; c_t]) + b                      [V]
 *
 * Score: 'general' by default, h_tᵀ·W·h_s (Luong et al. 2015). Query and keys are states of
 * the same RNN, so a parameter-free dot product would score each past state by its likeness to
 * the present one; W (H² parameters) lets the model learn what to look up instead. Over a whole
 * sequence it costs two matrix products (T·H² + T²·H) and a [T, T] score matrix. 'additive'
 * also learns the comparison but builds a [T, T, H] tensor per sequence — H times the memory,
 * which dominates training on long sequences — so it is an option, not the default.
 *
 * Training (`forward`) runs the RNN over the whole sequence, then all the attention at once with
 * a strictly lower-triangular mask (`attendToPast`). Generation (`step`) is incremental: the
 * state carries the list of past hidden states and each step attends over it (`attendStep`);
 * both give the same logits.
 *
 * Parameters: `embedding.weight`, `rnn.*`, `attention.score.*`, `output.weight` [V, 2H], `output.bias`.
 */
export class AttentiveRNNLM extends RecurrentLM<AttentiveLMState> {
  readonly config: ResolvedAttentiveRNNLMConfig;
  readonly attention: PastAttention;
  readonly output: Linear;

  constructor(config: AttentiveRNNLMConfig, init?: InitOptions) {
    const c = resolveAttentiveRNNLMConfig(config);
    super(c, init);
    this.config = c;
    this.attention = this.addModule('attention', new PastAttention(c.hiddenSize, { score: c.score }, init));
    this.output = this.addModule('output', new Linear(2 * c.hiddenSize, c.vocabSize, {}, init));
  }

  /** ids [B, T] → { logits [B, T, V], weights [B, T, T] } (row t: weights over steps s < t). */
  forward(batch: TokenBatch): LMOutput {
    const h = this.encode(batch); // [B, T, H]
    const { context, weights } = this.attention.forward(h); // [B, T, H], [B, T, T]
    const logits = this.output.forward(this.dropout.forward(concat([h, context], 2))); // [B, T, V]
    return { logits, weights };
  }

  /**
   * tokens [R] → log-probabilities [R, V] of the next token, the new state (with h_t appended
   * to the past), and the attention [R, t] of this step over the t earlier ones.
   */
  step(tokens: Int32Array, state: AttentiveLMState): StepOutput<AttentiveLMState> {
    const { h, state: next } = this.advance(tokens, state); // [R, H]
    const { context, weights } = this.attention.step(h, state.past); // [R, H], [R, t]
    const logits = this.output.forward(this.dropout.forward(concat([h, context], 1))); // [R, V]
    const step = unsqueeze(h, 1); // [R, 1, H]
    const past = state.past.shape[1] === 0 ? step : concat([state.past, step], 1); // [R, t + 1, H]
    return { logProbs: logSoftmax(logits, -1), state: { ...next, past }, attention: weights };
  }

  selectRows(state: AttentiveLMState, rows: Int32Array): AttentiveLMState {
    const [, t, h] = state.past.shape;
    const past =
      t === 0 ? zeros([rows.length, 0, h], { dtype: state.past.dtype }) : indexSelect(state.past, 0, rows);
    return { ...this.selectRecurrent(state, rows), past };
  }

  initialState(rows: number): AttentiveLMState {
    const dtype = this.embedding.weight.dtype;
    return { ...this.zeroState(rows), past: zeros([rows, 0, this.config.hiddenSize], { dtype }) };
  }
}
