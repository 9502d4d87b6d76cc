/**
 * heed: attention mechanisms, from RNNs to Transformers, in TypeScript — the Node.js entry point:
 * everything in core.ts, with the native backend registered when the addon loaded.
 */
import './backend/native/register.js';

export * from './core.js';
export * from './data/index.js';
export * from './io/index.js';
export * from './models/classify/index.js';
export * from './models/lm/index.js';
export {
  AttentionSeq2Seq,
  type AttentionSeq2SeqConfig,
  Seq2Seq,
  type Seq2SeqConfig,
} from './models/seq2seq/index.js';
export { GPT, type GPTConfig, Transformer, type TransformerConfig } from './models/transformer/index.js';
export * from './optim/index.js';
export * from './train/index.js';
export * from './viz/index.js';
