export {
  AttentiveClassifier,
  type AttentiveClassifierConfig,
  type ClassifierBatch,
  type ClassifierOutput,
  type ResolvedAttentiveClassifierConfig,
  resolveAttentiveClassifierConfig,
} from './attentive-classifier.js';
export {
  type BowWeighting,
  bowFeatures,
  countMatrix,
  fitIdf,
  LogisticRegressionBow,
  type LogisticRegressionBowConfig,
  MultinomialNaiveBayes,
  type NaiveBayesConfig,
  type ResolvedLogisticRegressionBowConfig,
  type ResolvedNaiveBayesConfig,
  resolveLogisticRegressionBowConfig,
  resolveNaiveBayesConfig,
  type Sequences,
} from './bag-of-words.js';
export { ConfigReader } from './config-reader.js';
export { argmaxRows, evaluate } from './predict.js';
