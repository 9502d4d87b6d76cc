import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeedError } from '../util/errors.js';
import {
  accuracy,
  classificationReport,
  confusionMatrix,
  perClassScores,
  precisionRecallF1,
} from './classification.js';

function close(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= 1e-12, `${what}: expected ${expected}, got ${actual}`);
}

// yTrue a a a b b c / yPred a b b b c c, labels sorted [a, b, c].
//   confusion (rows true, columns predicted):  a [1 2 0]   b [0 1 1]   c [0 0 1]
//   a: TP 1, predicted 1, support 3 → P 1,   R 1/3, F1 2·1·⅓/(4/3)   = 1/2
//   b: TP 1, predicted 3, support 2 → P 1/3, R 1/2, F1 2·⅙/(5/6)     = 2/5
//   c: TP 1, predicted 2, support 1 → P 1/2, R 1,   F1 2·½/(3/2)     = 2/3
const yTrue = ['a', 'a', 'a', 'b', 'b', 'c'];
const yPred = ['a', 'b', 'b', 'b', 'c', 'c'];

describe('classification metrics, worked by hand', () => {
  it('accuracy and the confusion matrix', () => {
    close(accuracy(yTrue, yPred), 3 / 6, 'accuracy');
    assert.deepEqual(confusionMatrix(yTrue, yPred), {
      labels: ['a', 'b', 'c'],
      matrix: [
        [1, 2, 0],
        [0, 1, 1],
        [0, 0, 1],
      ],
    });
    // An explicit order, including a label that never occurs.
    assert.deepEqual(confusionMatrix([2, 1], [1, 1], [3, 2, 1]).matrix, [
      [0, 0, 0],
      [0, 0, 1],
      [0, 0, 1],
    ]);
    // Numbers sort numerically, not as strings.
    assert.deepEqual(confusionMatrix([10, 9], [10, 9]).labels, [9, 10]);
  });

  it('per-class precision, recall, F1 and support', () => {
    const c = perClassScores(yTrue, yPred);
    assert.deepEqual(
      c.map((x) => [x.label, x.support]),
      [
        ['a', 3],
        ['b', 2],
        ['c', 1],
      ],
    );
    const expected = [
      [1, 1 / 3, 1 / 2],
      [1 / 3, 1 / 2, 2 / 5],
      [1 / 2, 1, 2 / 3],
    ];
    c.forEach((x, i) => {
      close(x.precision, expected[i]![0]!, `${x.label} precision`);
      close(x.recall, expected[i]![1]!, `${x.label} recall`);
      close(x.f1, expected[i]![2]!, `${x.label} f1`);
    });
  });

  it('macro, weighted and micro averages', () => {
    // macro: P = (1 + 1/3 + 1/2)/3 = 11/18, R = (1/3 + 1/2 + 1)/3 = 11/18,
    //        F1 = (1/2 + 2/5 + 2/3)/3 = 47/90 — the mean of the F1s, not F1(11/18, 11/18) = 11/18.
    const macro = precisionRecallF1(yTrue, yPred, { average: 'macro' });
    close(macro.precision, 11 / 18, 'macro P');
    close(macro.recall, 11 / 18, 'macro R');
    close(macro.f1, 47 / 90, 'macro F1');
    // weighted by support 3, 2, 1: P = (3 + 2/3 + 1/2)/6 = 25/36, R = (1 + 1 + 1)/6 = 1/2,
    //        F1 = (3/2 + 4/5 + 2/3)/6 = 89/180.
    const weighted = precisionRecallF1(yTrue, yPred, { average: 'weighted' });
    close(weighted.precision, 25 / 36, 'weighted P');
    close(weighted.recall, 1 / 2, 'weighted R');
    close(weighted.f1, 89 / 180, 'weighted F1');
    // micro: ΣTP = 3 of 6 predictions and of 6 true labels → P = R = F1 = accuracy = 1/2.
    const micro = precisionRecallF1(yTrue, yPred, { average: 'micro' });
    close(micro.precision, 0.5, 'micro P');
    close(micro.recall, 0.5, 'micro R');
    close(micro.f1, 0.5, 'micro F1');
    const report = classificationReport(yTrue, yPred);
    assert.deepEqual(report.macro, macro);
    close(report.accuracy, 0.5, 'report accuracy');
  });

  it('binary scores for the positive label', () => {
    // yTrue 1 0 1 1 0 0 1 / yPred 1 1 0 1 0 0 0
    //   positive 1: TP 2 (#0, #3), FP 1 (#1), FN 2 (#2, #6) → P 2/3, R 2/4, F1 2·⅓/(7/6) = 4/7
    //   positive 0: TP 2 (#4, #5), FP 2 (#2, #6), FN 1 (#1) → P 2/4, R 2/3, F1 = 4/7
    const t = [1, 0, 1, 1, 0, 0, 1];
    const p = [1, 1, 0, 1, 0, 0, 0];
    const pos = precisionRecallF1(t, p, { average: 'binary', positiveLabel: 1 });
    close(pos.precision, 2 / 3, 'P');
    close(pos.recall, 1 / 2, 'R');
    close(pos.f1, 4 / 7, 'F1');
    const neg = precisionRecallF1(t, p, { average: 'binary', positiveLabel: 0 });
    close(neg.precision, 1 / 2, 'P(0)');
    close(neg.recall, 2 / 3, 'R(0)');
  });

  it('a class never predicted has precision 0, not NaN', () => {
    const [, b] = perClassScores(['a', 'b'], ['a', 'a']);
    assert.deepEqual(b, { label: 'b', precision: 0, recall: 0, f1: 0, support: 1 });
  });

  it('errors name the op and what is wrong', () => {
    assert.throws(() => accuracy([1, 2, 3], [1, 2]), {
      name: 'HeedError',
      message: 'accuracy: yTrue has 3 labels but yPred has 2',
    });
    assert.throws(() => confusionMatrix(['a'], ['a', 'b']), {
      message: 'confusionMatrix: yTrue has 1 labels but yPred has 2',
    });
    assert.throws(() => accuracy([], []), HeedError);
    assert.throws(() => confusionMatrix(['a', 'z'], ['a', 'a'], ['a', 'b']), {
      message: 'confusionMatrix: sample 1 has label "z", which is not in labels ["a", "b"]',
    });
    assert.throws(() => precisionRecallF1(yTrue, yPred, { average: 'binary', positiveLabel: 'a' }), {
      message:
        "precisionRecallF1: average 'binary' needs at most 2 labels, got 3; use 'macro', 'micro' or 'weighted'",
    });
    assert.throws(() => precisionRecallF1([0, 1], [0, 1], { average: 'binary' }), HeedError);
    assert.throws(
      () => precisionRecallF1([0, 1], [0, 1], { average: 'binary', positiveLabel: 2 }),
      HeedError,
    );
  });
});
