import type { PastScoreKind } from '../../nn/attention/causal-rnn.js';
import { ConfigReader } from '../classify/config-reader.js';

/** The recurrent cell of a language model. */
export type CellType = 'lstm' | 'gru' | 'rnn';

/** Options of {@link RNNLM}; JSON, validated by {@link resolveRNNLMConfig}. */
export interface RNNLMConfig {
  /** Size of the token vocabulary (V). */
  vocabSize: number;
  /** Width of the token embeddings (default 64). */
  embedDim?: number;
  /** Hidden size of the recurrent layers, H (default 256). */
  hiddenSize?: number;
  /** 'lstm' (default), 'gru' or 'rnn' (Elman, tanh). */
  cell?: CellType;
  /** Stacked recurrent layers (default 1). */
  numLayers?: number;
  /** Dropout on the embeddings, between recurrent layers and before the output layer (default 0.1). */
  dropout?: number;
}

/** Options of {@link AttentiveRNNLM}: the plain model's plus the attention score. */
export interface AttentiveRNNLMConfig extends RNNLMConfig {
  /**
   * How h_t is compared with each earlier h_s: 'general' (default, h_tᵀ·W·h_s), 'additive'
   * (vᵀ·tanh(W_q h_t + W_k h_s)), 'dot' or 'scaledDot' (no parameters).
   */
  score?: PastScoreKind;
}

export type ResolvedRNNLMConfig = Required<RNNLMConfig>;
export type ResolvedAttentiveRNNLMConfig = Required<AttentiveRNNLMConfig>;

const lmKeys = ['vocabSize', 'embedDim', 'hiddenSize', 'cell', 'numLayers', 'dropout'];

function readShared(r: ConfigReader): ResolvedRNNLMConfig {
  return {
    vocabSize: r.int('vocabSize'),
    embedDim: r.int('embedDim', 64),
    hiddenSize: r.int('hiddenSize', 256),
    cell: r.oneOf('cell', ['lstm', 'gru', 'rnn'] as const, 'lstm'),
    numLayers: r.int('numLayers', 1),
    dropout: r.rate('dropout', 0.1),
  };
}

/** Checks an RNNLM config (unknown keys and wrong types are errors) and fills in the defaults. */
export function resolveRNNLMConfig(raw: unknown): ResolvedRNNLMConfig {
  return readShared(new ConfigReader('RNNLM', raw, lmKeys));
}

/** Checks an AttentiveRNNLM config and fills in the defaults. */
export function resolveAttentiveRNNLMConfig(raw: unknown): ResolvedAttentiveRNNLMConfig {
  const r = new ConfigReader('AttentiveRNNLM', raw, [...lmKeys, 'score']);
  return {
    ...readShared(r),
    score: r.oneOf('score', ['general', 'additive', 'dot', 'scaledDot'] as const, 'general'),
  };
}
