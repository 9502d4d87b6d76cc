export {
  type Classification,
  type ClassificationAttention,
  classificationAttention,
  loadClassifier,
  TextClassifier,
} from './classifier.js';
export {
  type ClassificationData,
  type ClassificationSetup,
  type ClassifierKind,
  classifierKinds,
  parseClassificationConfig,
} from './config.js';
export { classificationReport } from './metrics.js';
export { buildClassifier, type ClassifierScores, type TextClassifierModel } from './models.js';
export { classificationTask, trainClassifier } from './task.js';
