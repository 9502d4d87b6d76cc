/** Evaluation metrics: sacreBLEU-exact BLEU and chrF, classification scores and perplexity. */

export {
  type BleuOptions,
  type BleuScore,
  type BleuSmoothing,
  type BleuStatistics,
  type BleuStatsScore,
  bleuFromStatistics,
  bleuSignature,
  bleuVerbose,
  corpusBleu,
  formatBleu,
  sentenceBleu,
} from './bleu.js';
export {
  type ChrfOptions,
  type ChrfScore,
  chrfFromStatistics,
  chrfSignature,
  corpusChrf,
  formatChrf,
  sentenceChrf,
} from './chrf.js';
export {
  type Average,
  accuracy,
  type ClassificationReport,
  type ClassScores,
  type ConfusionMatrix,
  classificationReport,
  confusionMatrix,
  type Label,
  type PrecisionRecallF1,
  type PrfOptions,
  perClassScores,
  precisionRecallF1,
} from './classification.js';
export { perplexityFromLogProbs, perplexityFromMeanNll, perplexityFromTotalNll } from './perplexity.js';
export { HEED_VERSION, SIGNATURE_VERSION } from './signature.js';
export { tokenize13a } from './tokenize13a.js';
export { BLEU_TOKENIZER_NAMES, type BleuTokenizerName, bleuTokenizers } from './tokenizers.js';
