export {
  type GPTConfig,
  type ResolvedGPTConfig,
  type ResolvedTransformerConfig,
  resolveGPTConfig,
  resolveTransformerConfig,
  type TransformerConfig,
} from './config.js';
export {
  Block,
  type CausalAttentionOutput,
  CausalSelfAttention,
  type GenerateOptions,
  GPT,
  GPTLayerNorm,
  type GPTOutput,
  type GPTState,
  GPTTransformer,
  MLP,
} from './gpt.js';
export {
  Transformer,
  type TransformerBatch,
  type TransformerOutput,
  type TransformerState,
} from './transformer.js';
