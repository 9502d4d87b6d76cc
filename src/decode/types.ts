import type { Tensor } from '../tensor/tensor.js';

/**
 * What a model exposes to be decoded token by token. The search algorithms (greedy, beam,
 * sampling in this folder) know nothing else of the model: an RNN decoder's state is its hidden
 * state and the encoder outputs, a Transformer's is its key/value cache. `S` is opaque to them.
 */
export interface StepDecoder<S> {
  /**
   * One step for R rows (hypotheses): the previous token of each row [R] and the state → the
   * next-token log-probabilities [R, V] and the new state; optionally the attention of each row
   * over the source at this step [R, Ts] (what the heatmaps draw).
   */
  step(tokens: Int32Array, state: S): StepOutput<S>;
  /**
   * The state of the rows `rows` (indices into the current rows, repeats allowed), in that order:
   * beam search expands each source into K hypotheses and reorders them after every step.
   */
  selectRows(state: S, rows: Int32Array): S;
}

export interface StepOutput<S> {
  /** [R, V] log-probabilities (log-softmax of the logits). */
  logProbs: Tensor;
  state: S;
  /** [R, Ts] attention over the source, when the model has it. */
  attention?: Tensor;
}

/** One finished hypothesis. */
export interface Hypothesis {
  /** Token ids, without BOS, ending with EOS when the model produced it. */
  tokens: number[];
  /** Σ log p of the tokens. */
  logProb: number;
  /** The score the search ranked by (logProb, or logProb / length penalty for beam search). */
  score: number;
  /** Attention rows, one [Ts] array per produced token, when the model gives them. */
  attention?: Float32Array[];
}

export interface SearchOptions {
  bos: number;
  eos: number;
  /** Maximum number of tokens produced per source (EOS included). */
  maxLength: number;
}
