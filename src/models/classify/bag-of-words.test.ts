import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeEachBackend } from '../../testing/backends.js';
import { checkModule } from '../../testing/module-check.js';
import { manualSeed } from '../../util/random.js';
import {
  type BowWeighting,
  bowFeatures,
  countMatrix,
  fitIdf,
  LogisticRegressionBow,
  MultinomialNaiveBayes,
  resolveLogisticRegressionBowConfig,
} from './bag-of-words.js';
import { keywordTask, trainAdam } from './testing.js';

function near(a: ArrayLike<number>, b: readonly number[], tol = 1e-12): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol, `[${i}]: ${a[i]} vs ${b[i]}`);
}

describe('bag-of-words features', () => {
  const docs = [
    [1, 1, 2],
    [2, 3],
  ];

  it('counts, L1, L2', () => {
    near(countMatrix(docs, 4), [0, 2, 1, 0, 0, 0, 1, 1]);
    near(bowFeatures(docs, 4, 'l1'), [0, 2 / 3, 1 / 3, 0, 0, 0, 0.5, 0.5]);
    const r5 = Math.sqrt(5);
    near(bowFeatures(docs, 4, 'l2'), [0, 2 / r5, 1 / r5, 0, 0, 0, Math.SQRT1_2, Math.SQRT1_2]);
    near(bowFeatures([[]], 4, 'l2'), [0, 0, 0, 0]);
    assert.throws(() => countMatrix([[4]], 4), /id 4 at sequence 0, position 0 is not in \[0, 4\)/);
  });

  it("tf-idf with scikit-learn's smoothed idf, ln((1 + N) / (1 + df)) + 1, then L2", () => {
    const idf = fitIdf(docs, 4);
    const l15 = Math.log(1.5) + 1;
    near(idf, [Math.log(3) + 1, l15, 1, l15]);
    const d0 = [0, 2 * l15, 1, 0];
    const d1 = [0, 0, 1, l15];
    const n0 = Math.hypot(...d0);
    const n1 = Math.hypot(...d1);
    near(bowFeatures(docs, 4, 'tfidf', idf), [...d0.map((x) => x / n0), ...d1.map((x) => x / n1)]);
    assert.throws(() => bowFeatures(docs, 4, 'tfidf'), /'tfidf' needs 4 idf weights/);
  });
});

describe('MultinomialNaiveBayes', () => {
  it('closed-form Laplace-smoothed estimates and log-space prediction (worked by hand)', () => {
    // Class 0: words 1, 1, 2 (3 tokens); class 1: words 3, 3 and 2, 3 (4 tokens). V = 4, α = 1.
    const nb = new MultinomialNaiveBayes({ vocabSize: 4, numClasses: 2 }).fit(
      [
        [1, 1, 2],
        [3, 3],
        [2, 3],
      ],
      [0, 1, 1],
    );
    near(nb.classLogPrior ?? [], [Math.log(1 / 3), Math.log(2 / 3)]);
    near(nb.featureLogProb ?? [], [
      ...[1, 3, 2, 1].map((n) => Math.log(n / 7)),
      ...[1, 1, 2, 4].map((n) => Math.log(n / 8)),
    ]);
    // x = [1, 0]: class 0: ln(1/3) + ln(3/7) + ln(1/7); class 1: ln(2/3) + 2·ln(1/8).
    const j0 = Math.log(1 / 3) + Math.log(3 / 7) + Math.log(1 / 7);
    const j1 = Math.log(2 / 3) + 2 * Math.log(1 / 8);
    near(nb.jointLogLikelihood([[1, 0]]), [j0, j1]);
    const lp = nb.predictLogProba([[1, 0]]);
    near([Math.exp(lp[0]) + Math.exp(lp[1])], [1]);
    assert.deepEqual(Array.from(nb.predict([[1, 0], [3], [0]])), [0, 1, 1]);
    // Log space: a document far too long for products of probabilities still gets a finite score.
    const long = nb.predictLogProba([new Array<number>(5000).fill(1)]);
    assert.ok(long.every(Number.isFinite));
  });

  it('solves the keyword task', () => {
    const train = keywordTask(48, 5);
    const test = keywordTask(40, 99);
    const nb = new MultinomialNaiveBayes({ vocabSize: 12, numClasses: 2 }).fit(train.seqs, train.labels);
    assert.deepEqual(Array.from(nb.predict(train.seqs)), train.labels);
    assert.deepEqual(Array.from(nb.predict(test.seqs)), test.labels);
  });

  it('rejects bad configs, labels and an unfitted model', () => {
    assert.throws(() => new MultinomialNaiveBayes({ vocabSize: 4, numClasses: 2, alpha: 0 }), {
      message: 'MultinomialNaiveBayes config: alpha must be a number > 0, got 0',
    });
    const nb = new MultinomialNaiveBayes({ vocabSize: 4, numClasses: 2 });
    assert.throws(() => nb.predict([[1]]), /call fit\(\) first/);
    assert.throws(() => nb.fit([[1]], [2]), /label 2 of sequence 0 is not in \[0, 2\)/);
  });
});

describeEachBackend('LogisticRegressionBow', (backend) => {
  it('gradient of the loss w.r.t. W and b', () => {
    const seqs = [
      [1, 1, 2],
      [2, 3],
      [0, 3, 3, 3],
    ];
    checkModule(
      backend,
      (init) => new LogisticRegressionBow({ vocabSize: 4, numClasses: 3, weighting: 'l2' }, init),
      (m) => [m.forward(seqs), m.loss(seqs, [2, 0, 1])],
      [],
    );
  });

  const weightings: BowWeighting[] = ['l1', 'l2', 'tfidf'];
  for (const weighting of weightings) {
    it(`solves the keyword task on ${weighting} features`, () => {
      manualSeed(4);
      const train = keywordTask(48, 5);
      const test = keywordTask(40, 99);
      const m = new LogisticRegressionBow({ vocabSize: 12, numClasses: 2, weighting }).fitIdf(train.seqs);
      const loss = trainAdam(m.parameters(), () => m.loss(train.seqs, train.labels), 150, 0.1);
      assert.ok(loss < 0.2, `final loss ${loss}`);
      assert.deepEqual(Array.from(m.predict(train.seqs)), train.labels);
      assert.deepEqual(Array.from(m.predict(test.seqs)), test.labels);
    });
  }

  it('needs fitted idf weights for tf-idf, and validates its config', () => {
    const m = new LogisticRegressionBow({ vocabSize: 4, numClasses: 2 });
    assert.equal(m.config.weighting, 'tfidf');
    assert.throws(() => m.forward([[1]]), /needs fitIdf\(trainingSequences\) first/);
    const restored = new LogisticRegressionBow({ vocabSize: 4, numClasses: 2 }, undefined, [1, 2, 3, 4]);
    assert.deepEqual(restored.forward([[1]]).shape, [1, 2]);
    assert.throws(
      () => resolveLogisticRegressionBowConfig({ vocabSize: 4, numClasses: 2, weighting: 'tf' }),
      { message: `LogisticRegressionBow config: weighting must be 'l1' | 'l2' | 'tfidf', got "tf"` },
    );
  });
});
