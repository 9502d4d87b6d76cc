export { type AttentiveLMState, AttentiveRNNLM } from './attentive-rnn-lm.js';
export {
  type AttentiveRNNLMConfig,
  type CellType,
  type ResolvedAttentiveRNNLMConfig,
  type ResolvedRNNLMConfig,
  type RNNLMConfig,
  resolveAttentiveRNNLMConfig,
  resolveRNNLMConfig,
} from './config.js';
export {
  type GenerateOptions,
  type LMOutput,
  makeRecurrent,
  RecurrentLM,
  type RecurrentStack,
  type RecurrentState,
  runStack,
  type TokenBatch,
} from './recurrent-lm.js';
export { RNNLM } from './rnn-lm.js';
