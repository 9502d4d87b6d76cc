/**
 * Classification metrics for single-label predictions: accuracy, the confusion matrix, and
 * precision / recall / F1 per class and averaged. Conventions follow scikit-learn's
 * `accuracy_score`, `confusion_matrix` and `precision_recall_fscore_support`: rows of the
 * confusion matrix are true labels and columns predicted labels, and a ratio whose denominator
 * is 0 (a class never predicted, or never present) is 0.
 */

import { HeedError } from '../util/errors.js';

/** A class label: every label of one problem is a string, or every label is a number. */
export type Label = string | number;

/** How per-class scores combine into one. */
export type Average = 'binary' | 'macro' | 'micro' | 'weighted';

/** Precision, recall and F1 of one class or one average. */
export interface PrecisionRecallF1 {
  precision: number;
  recall: number;
  f1: number;
}

/** Scores of one class; `support` is how many samples truly belong to it. */
export interface ClassScores<L extends Label> extends PrecisionRecallF1 {
  label: L;
  support: number;
}

function checkPair<L extends Label>(op: string, yTrue: readonly L[], yPred: readonly L[]): void {
  if (yTrue.length !== yPred.length) {
    throw new HeedError(`${op}: yTrue has ${yTrue.length} labels but yPred has ${yPred.length}`);
  }
  if (yTrue.length === 0) throw new HeedError(`${op}: no samples (yTrue and yPred are empty)`);
}

/** Fraction of samples whose predicted label equals the true one. */
export function accuracy<L extends Label>(yTrue: readonly L[], yPred: readonly L[]): number {
  checkPair('accuracy', yTrue, yPred);
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) correct++;
  return correct / yTrue.length;
}

/** Sorted distinct labels: numbers ascending, strings in code-unit order (scikit-learn's `unique_labels`). */
function sortedLabels<L extends Label>(values: readonly L[]): L[] {
  const distinct = [...new Set(values)];
  return distinct.sort((a, b) =>
    typeof a === 'number' && typeof b === 'number'
      ? a - b
      : String(a) < String(b)
        ? -1
        : String(a) > String(b)
          ? 1
          : 0,
  );
}

/** A confusion matrix and the label order of its rows and columns. */
export interface ConfusionMatrix<L extends Label> {
  labels: L[];
  /** `matrix[i][j]` counts samples of true label `labels[i]` predicted as `labels[j]`. [K, K] */
  matrix: number[][];
}

/**
 * The K×K confusion matrix. `labels` fixes the order (and may name classes that never occur);
 * by default it is every label seen in `yTrue` or `yPred`, sorted. A sample whose label is not
 * in a given `labels` is an error.
 */
export function confusionMatrix<L extends Label>(
  yTrue: readonly L[],
  yPred: readonly L[],
  labels?: readonly L[],
): ConfusionMatrix<L> {
  checkPair('confusionMatrix', yTrue, yPred);
  const order = labels !== undefined ? [...labels] : sortedLabels([...yTrue, ...yPred]);
  const index = new Map<L, number>();
  order.forEach((l, i) => {
    if (index.has(l)) throw new HeedError(`confusionMatrix: label ${JSON.stringify(l)} is listed twice`);
    index.set(l, i);
  });
  const matrix = order.map(() => new Array<number>(order.length).fill(0));
  for (let s = 0; s < yTrue.length; s++) {
    const t = index.get(yTrue[s]!);
    const p = index.get(yPred[s]!);
    if (t === undefined || p === undefined) {
      const missing = t === undefined ? yTrue[s] : yPred[s];
      throw new HeedError(
        `confusionMatrix: sample ${s} has label ${JSON.stringify(missing)}, which is not in labels [${order.map((l) => JSON.stringify(l)).join(', ')}]`,
      );
    }
    matrix[t]![p]! += 1;
  }
  return { labels: order, matrix };
}

/** p / q, or 0 when q is 0 (scikit-learn's default `zero_division` outcome). */
function ratio(p: number, q: number): number {
  return q === 0 ? 0 : p / q;
}

/** F1 = 2PR / (P + R), 0 when P + R = 0. */
function f1Of(precision: number, recall: number): number {
  return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
}

/**
 * Precision = TP / (TP + FP), recall = TP / (TP + FN) and F1 for every class, in the order of
 * `labels` (default: every label seen, sorted).
 */
export function perClassScores<L extends Label>(
  yTrue: readonly L[],
  yPred: readonly L[],
  labels?: readonly L[],
): ClassScores<L>[] {
  const cm = confusionMatrix(yTrue, yPred, labels);
  const k = cm.labels.length;
  return cm.labels.map((label, i) => {
    const tp = cm.matrix[i]![i]!;
    let support = 0; // TP + FN: the row sum
    let predicted = 0; // TP + FP: the column sum
    for (let j = 0; j < k; j++) {
      support += cm.matrix[i]![j]!;
      predicted += cm.matrix[j]![i]!;
    }
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, support);
    return { label, precision, recall, f1: f1Of(precision, recall), support };
  });
}

/** Options of `precisionRecallF1`. */
export interface PrfOptions<L extends Label> {
  /** Required: how to combine classes. */
  average: Average;
  /** With `average: 'binary'`: the class whose scores are reported. */
  positiveLabel?: L;
  /** Label order and set (default: every label seen, sorted). */
  labels?: readonly L[];
}

/**
 * Precision, recall and F1 combined over classes:
 *
 * - `binary`: the scores of `positiveLabel` alone; at most two labels may occur.
 * - `macro`: the unweighted mean of the per-class scores (macro-F1 is the mean of the per-class
 *   F1s, not the F1 of the mean precision and recall).
 * - `weighted`: the mean of the per-class scores weighted by support.
 * - `micro`: the scores of the pooled counts ΣTP / (ΣTP + ΣFP) and ΣTP / (ΣTP + ΣFN); for
 *   single-label data all three equal the accuracy.
 */
export function precisionRecallF1<L extends Label>(
  yTrue: readonly L[],
  yPred: readonly L[],
  opts: PrfOptions<L>,
): PrecisionRecallF1 {
  const classes = perClassScores(yTrue, yPred, opts.labels);
  switch (opts.average) {
    case 'binary': {
      const pos = opts.positiveLabel;
      if (pos === undefined) throw new HeedError("precisionRecallF1: average 'binary' needs positiveLabel");
      if (classes.length > 2) {
        throw new HeedError(
          `precisionRecallF1: average 'binary' needs at most 2 labels, got ${classes.length}; use 'macro', 'micro' or 'weighted'`,
        );
      }
      const c = classes.find((x) => x.label === pos);
      if (c === undefined) {
        throw new HeedError(
          `precisionRecallF1: positiveLabel ${JSON.stringify(pos)} is not one of the labels [${classes.map((x) => JSON.stringify(x.label)).join(', ')}]`,
        );
      }
      return { precision: c.precision, recall: c.recall, f1: c.f1 };
    }
    case 'macro':
    case 'weighted': {
      const weights = classes.map((c) => (opts.average === 'macro' ? 1 : c.support));
      const wSum = weights.reduce((a, b) => a + b, 0);
      const mean = (pick: (c: ClassScores<L>) => number): number =>
        ratio(
          classes.reduce((acc, c, i) => acc + weights[i]! * pick(c), 0),
          wSum,
        );
      return { precision: mean((c) => c.precision), recall: mean((c) => c.recall), f1: mean((c) => c.f1) };
    }
    case 'micro': {
      const cm = confusionMatrix(yTrue, yPred, opts.labels);
      let tp = 0;
      let all = 0;
      cm.matrix.forEach((row, i) => {
        tp += row[i]!;
        for (const v of row) all += v;
      });
      // Every sample lands in exactly one row and one column, so ΣTP+ΣFP = ΣTP+ΣFN = N.
      const precision = ratio(tp, all);
      const recall = ratio(tp, all);
      return { precision, recall, f1: f1Of(precision, recall) };
    }
    default:
      throw new HeedError(
        `precisionRecallF1: unknown average '${String(opts.average)}'; use binary, macro, micro or weighted`,
      );
  }
}

/** Everything at once: per-class scores, the three multi-class averages and accuracy. */
export interface ClassificationReport<L extends Label> {
  classes: ClassScores<L>[];
  macro: PrecisionRecallF1;
  micro: PrecisionRecallF1;
  weighted: PrecisionRecallF1;
  accuracy: number;
}

/** A report like scikit-learn's `classification_report`. */
export function classificationReport<L extends Label>(
  yTrue: readonly L[],
  yPred: readonly L[],
  labels?: readonly L[],
): ClassificationReport<L> {
  const opts = labels !== undefined ? { labels } : {};
  return {
    classes: perClassScores(yTrue, yPred, labels),
    macro: precisionRecallF1(yTrue, yPred, { ...opts, average: 'macro' }),
    micro: precisionRecallF1(yTrue, yPred, { ...opts, average: 'micro' }),
    weighted: precisionRecallF1(yTrue, yPred, { ...opts, average: 'weighted' }),
    accuracy: accuracy(yTrue, yPred),
  };
}
