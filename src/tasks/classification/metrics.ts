import {
  accuracy,
  confusionMatrix,
  perClassScores,
  precisionRecallF1,
} from '../../metrics/classification.js';
import type { ResultTable } from '../task.js';

/** Headline scores and breakdown tables of a classifier's predictions. */
export interface ClassificationReport {
  /** accuracy, precision/recall/f1 (of the positive label, when there is one) and macro_f1. */
  metrics: Record<string, number>;
  /** The confusion matrix and the per-class scores. */
  tables: ResultTable[];
}

/**
 * Scores predictions as scikit-learn does (metrics/classification.ts): with a positive label
 * (binary problems) precision, recall and F1 are that class's; macro F1 averages every class.
 */
export function classificationReport(
  yTrue: readonly string[],
  yPred: readonly string[],
  labels: readonly string[],
  positiveLabel: string | null,
): ClassificationReport {
  const metrics: Record<string, number> = { accuracy: accuracy(yTrue, yPred) };
  if (positiveLabel !== null) {
    const p = precisionRecallF1(yTrue, yPred, { average: 'binary', positiveLabel, labels });
    metrics.precision = p.precision;
    metrics.recall = p.recall;
    metrics.f1 = p.f1;
  }
  metrics.macro_f1 = precisionRecallF1(yTrue, yPred, { average: 'macro', labels }).f1;
  const cm = confusionMatrix(yTrue, yPred, labels);
  const perClass = perClassScores(yTrue, yPred, labels);
  return {
    metrics,
    tables: [
      {
        title: 'confusion matrix (rows: true label, columns: predicted)',
        columns: ['true \\ predicted', ...cm.labels],
        rows: cm.labels.map((l, i) => [l, ...cm.matrix[i]]),
      },
      {
        title: 'per class',
        columns: ['label', 'precision', 'recall', 'f1', 'support'],
        rows: perClass.map((c) => [c.label, c.precision, c.recall, c.f1, c.support]),
      },
    ],
  };
}

/** Mean −log P(true class) over the texts (probabilities [N, C] row-major; floored at 1e-300). */
export function meanNll(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes: number,
): number {
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    total -= Math.log(Math.max(probabilities[i * classes + labels[i]], 1e-300));
  }
  return total / labels.length;
}
