/**
 * The translation task: data and tokenizer sections of a run config, training and scoring of
 * encoder–decoders, checkpoints, and inference (`translate`, alignment maps for `attend`).
 */
export { type TranslationAttention, translationAttention } from './attention.js';
export { loadTranslator, SIDE_FILES, TRANSLATION_KIND } from './checkpoint.js';
export {
  type DataSpec,
  type EvalSpec,
  type ModelSpec,
  parseTranslationConfig,
  type TokenizerSpec,
  type TranslationSetup,
} from './config.js';
export { type Example, LENGTH_BUCKETS, lengthBucket } from './data.js';
export type { AttentionMap, TranslationModel } from './model.js';
export { type CorpusScores, corpusScores, groupTable } from './scoring.js';
export { translationTask } from './task.js';
export { type TranslateOptions, type Translation, Translator } from './translator.js';
