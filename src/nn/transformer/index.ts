export type { Activation, TransformerLayerConfig } from './config.js';
export {
  type DecoderLayerCache,
  type DecoderLayerInputs,
  type DecoderLayerOutput,
  type IncrementalDecoderInputs,
  type IncrementalDecoderLayerOutput,
  selectDecoderCacheRows,
  TransformerDecoderLayer,
} from './decoder-layer.js';
export {
  type EncoderLayerInputs,
  type EncoderLayerOutput,
  TransformerEncoderLayer,
} from './encoder-layer.js';
export { LearnedPositionalEmbedding, SinusoidalPositionalEncoding, sinusoidalTable } from './positional.js';
export { type StackConfig, TransformerDecoder, TransformerEncoder } from './stacks.js';
