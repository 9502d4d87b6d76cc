export { type LMData, type LMEval, type LMKind, type LMSetup, lmKinds, parseLMConfig } from './config.js';
export { type Corpus, loadCorpus, randomWindows, readText, type Windows } from './corpus.js';
export {
  type GenerateOptions,
  type Generation,
  LanguageModel,
  type LMAttention,
  lmAttention,
  loadLanguageModel,
} from './language-model.js';
export { buildLanguageModel, type Continuation, type LanguageModelNet } from './models.js';
export { lmTask, trainLanguageModel } from './task.js';
