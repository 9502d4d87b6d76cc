export { SourceAttention, type SourceMemory, type SourceScoreKind, selectMemoryRows } from './attention.js';
export {
  AttentionDecoderBlock,
  AttentionEncoderBlock,
  type BlockSizes,
  type CrossCache,
  type DecoderBlockOutput,
  type DecoderCache,
  FeedForward,
} from './attention-blocks.js';
export {
  AttentionSeq2Seq,
  type AttentionSeq2SeqConfig,
  type AttentionSeq2SeqOutput,
  type AttentionSeq2SeqState,
  type ResolvedAttentionSeq2SeqConfig,
  resolveAttentionSeq2SeqConfig,
} from './attention-seq2seq.js';
export {
  checkPad,
  type ResolvedSeq2SeqConfig,
  resolveSeq2SeqConfig,
  type Seq2SeqAttention,
  type Seq2SeqCell,
  type Seq2SeqConfig,
  type Seq2SeqDecoderKind,
} from './config.js';
export {
  type DecoderOutput,
  type DecoderStep,
  LuongDecoder,
  RecurrentDecoder,
  Seed001Decoder,
} from './decoder.js';
export { type EncoderResult, Seq2SeqEncoder } from './encoder.js';
export { type CheckedTokens, checkTokens, sourceMask, type TokenBatch } from './inputs.js';
export {
  Seq2Seq,
  type Seq2SeqBatchLike,
  type Seq2SeqLossOptions,
  type Seq2SeqOutput,
  type Seq2SeqState,
} from './model.js';
export {
  layerWeights,
  RecurrentStack,
  type RecurrentState,
  selectStateRows,
  topState,
} from './recurrent-stack.js';
