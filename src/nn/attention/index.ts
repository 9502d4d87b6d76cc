export {
  AdditiveAttention,
  type AttendOptions,
  attend,
  DotAttention,
  GeneralAttention,
  ScaledDotAttention,
  ScoredAttention,
} from './attend.js';
export { AttentionLayer, type AttentionLayerConfig, SelfAttention } from './attention-layer.js';
export {
  attendStep,
  attendToPast,
  PastAttention,
  type PastAttentionConfig,
  type PastScoreKind,
  type PastScorer,
} from './causal-rnn.js';
export {
  appendToCache,
  attendCache,
  type CachedAttentionOptions,
  cacheLength,
  type KVCache,
  selectCacheRows,
} from './kv-cache.js';
export {
  type AttentionMask,
  andMasks,
  causalMask,
  checkMaskShape,
  combineMasks,
  lengthsMask,
  maskScores,
  reshapeMask,
} from './masking.js';
export {
  type IncrementalOptions,
  MultiHeadAttention,
  type MultiHeadAttentionConfig,
  type MultiHeadForwardOptions,
} from './multihead.js';
export { AttentionPooling } from './pooling.js';
export {
  AdditiveScore,
  dotScorer,
  dotScores,
  GeneralScore,
  type Scorer,
  scaledDotScorer,
  scaledDotScores,
} from './scores.js';
export { composedAttention, type SdpaOptions, type SdpaResult, scaledDotProductAttention } from './sdpa.js';
export type { Attention, AttentionResult } from './types.js';
