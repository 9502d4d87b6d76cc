import type { StepOutput } from '../../decode/types.js';
import type { InitOptions } from '../../nn/init.js';
import { Linear } from '../../nn/linear.js';
import { logSoftmax } from '../../ops/softmax.js';
import { type ResolvedRNNLMConfig, type RNNLMConfig, resolveRNNLMConfig } from './config.js';
import { type LMOutput, RecurrentLM, type RecurrentState, type TokenBatch } from './recurrent-lm.js';

/**
 * The plain recurrent language model, the baseline of {@link AttentiveRNNLM}
 * (Mikolov et al. 2010; Zaremba et al. 2014 for the LSTM with dropout):
 *   e_t = dropout(Embedding(x_t)),  h_t = LSTM(e_t, h_{t−1}),  logits_t = W·dropout(h_t) + b.
 * Everything the model knows about the past is squeezed through h_t.
 *
 * Parameters: `embedding.weight`, `rnn.*` (PyTorch's names), `output.weight` [V, H], `output.bias`.
 */
export class RNNLM extends RecurrentLM<RecurrentState> {
  readonly config: ResolvedRNNLMConfig;
  readonly output: Linear;

  constructor(config: RNNLMConfig, init?: InitOptions) {
    const c = resolveRNNLMConfig(config);
    super(c, init);
    this.config = c;
    this.output = this.addModule('output', new Linear(c.hiddenSize, c.vocabSize, {}, init));
  }

  /** ids [B, T] → { logits [B, T, V] }. */
  forward(batch: TokenBatch): LMOutput {
    const h = this.encode(batch); // [B, T, H]
    return { logits: this.output.forward(this.dropout.forward(h)) }; // [B, T, V]
  }

  /** tokens [R] → log-probabilities [R, V] of the next token, and the new state. */
  step(tokens: Int32Array, state: RecurrentState): StepOutput<RecurrentState> {
    const { h, state: next } = this.advance(tokens, state); // [R, H]
    return { logProbs: logSoftmax(this.output.forward(this.dropout.forward(h)), -1), state: next };
  }

  selectRows(state: RecurrentState, rows: Int32Array): RecurrentState {
    return this.selectRecurrent(state, rows);
  }

  initialState(rows: number): RecurrentState {
    return this.zeroState(rows);
  }
}
