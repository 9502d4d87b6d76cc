import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { padBatch } from '../../data/batching.js';
import { describeEachBackend } from '../../testing/backends.js';
import { assertClose } from '../../testing/gradcheck.js';
import { checkModule } from '../../testing/module-check.js';
import { manualSeed } from '../../util/random.js';
import {
  AttentiveClassifier,
  type ClassifierBatch,
  resolveAttentiveClassifierConfig,
} from './attentive-classifier.js';
import { keywordTask, trainAdam } from './testing.js';

/** The same sequences with `extra` more padding columns. */
function widen(batch: ClassifierBatch, extra: number, padId = 0): ClassifierBatch {
  const [b, t] = batch.shape;
  const ids = new Int32Array(b * (t + extra)).fill(padId);
  for (let i = 0; i < b; i++) for (let j = 0; j < t; j++) ids[i * (t + extra) + j] = batch.ids[i * t + j];
  return { ids, shape: [b, t + extra], lengths: batch.lengths };
}

describe('AttentiveClassifier config', () => {
  it('fills defaults and rejects unknown keys and bad values in one line naming the key', () => {
    assert.deepEqual(resolveAttentiveClassifierConfig({ vocabSize: 10, numClasses: 3 }), {
      vocabSize: 10,
      numClasses: 3,
      embedDim: 64,
      hiddenSize: 64,
      numLayers: 1,
      dropout: 0.2,
      padId: 0,
    });
    const bad: [unknown, RegExp][] = [
      [{ vocabSize: 10, numClasses: 2, hidenSize: 8 }, /AttentiveClassifier config: unknown key 'hidenSize'/],
      [{ vocabSize: 10, numClasses: 2, hiddenSize: '8' }, /hiddenSize must be an integer ≥ 1, got "8"/],
      [{ vocabSize: 10, numClasses: 2, dropout: 1 }, /dropout must be a number in \[0, 1\), got 1/],
      [{ vocabSize: 10, numClasses: 1 }, /numClasses must be an integer ≥ 2, got 1/],
      [{ numClasses: 2 }, /missing required key 'vocabSize'/],
      [{ vocabSize: 10, numClasses: 2, padId: 10 }, /padId 10 is not below vocabSize 10/],
      [[1, 2], /must be an object, got \[1,2\]/],
    ];
    for (const [config, message] of bad) {
      assert.throws(
        () => resolveAttentiveClassifierConfig(config),
        (e: Error) => {
          assert.equal(e.name, 'HeedError');
          assert.match(e.message, message);
          assert.ok(!e.message.includes('\n'));
          return true;
        },
      );
    }
  });
});

describeEachBackend('AttentiveClassifier (seed 000: attention pooling over a BiGRU)', (backend) => {
  const small = { vocabSize: 12, numClasses: 3, embedDim: 5, hiddenSize: 4 };
  const seqs = [
    [3, 4, 5, 6, 2],
    [8, 9],
    [1, 2, 3],
  ];

  it('shapes, and pooling weights sum to 1 over real tokens and are 0 on padding', () => {
    manualSeed(1);
    const m = new AttentiveClassifier({ ...small, numLayers: 2 }).eval();
    const batch = padBatch(seqs, 0);
    const { logits, weights } = m.forward(batch);
    assert.deepEqual(logits.shape, [3, 3]);
    assert.deepEqual(weights.shape, [3, 5]);
    seqs.forEach((s, b) => {
      const row = weights.data.subarray(b * 5, (b + 1) * 5);
      let real = 0;
      for (let t = 0; t < s.length; t++) real += row[t];
      assert.ok(Math.abs(real - 1) < 1e-6, `row ${b} sums to ${real}`);
      assert.ok(
        row.subarray(s.length).every((v) => v === 0),
        `row ${b} weights padding`,
      );
    });
    assert.equal(m.predict(batch).length, 3);
    assert.equal(m.training, false);
    m.train();
    m.predict(batch);
    assert.equal(m.training, true, 'predict restores the training mode');
  });

  it("logits don't depend on padding: the same text padded differently gives the same logits", () => {
    manualSeed(2);
    const m = new AttentiveClassifier({ ...small, numLayers: 2 }).eval();
    const tight = padBatch(seqs, 0);
    const wide = widen(tight, 4);
    const alone = padBatch([seqs[1]], 0); // row 1 with no padding at all
    const a = m.forward(tight);
    const b = m.forward(wide);
    assertClose(b.logits, a.logits, 1e-5, 1e-5, 'logits');
    const row1 = a.logits.data.subarray(3, 6);
    const single = m.forward(alone).logits.data;
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(row1[c] - single[c]) < 1e-5, `class ${c}`);
    for (let r = 0; r < 3; r++) {
      for (let t = 0; t < 5; t++) {
        assert.ok(Math.abs(a.weights.data[r * 5 + t] - b.weights.data[r * 9 + t]) < 1e-6);
      }
    }
  });

  it('gradients of logits and weights w.r.t. every parameter (finite differences in float64)', () => {
    const batch = padBatch(
      [
        [3, 4, 5],
        [8, 9],
      ],
      0,
    );
    checkModule(
      backend,
      (init) =>
        new AttentiveClassifier({ vocabSize: 10, numClasses: 2, embedDim: 3, hiddenSize: 2 }, init).eval(),
      (m) => {
        const { logits, weights } = m.forward(batch);
        return [logits, weights, m.loss(batch, [1, 0])];
      },
      [],
      { atol: 1e-5, rtol: 1e-4 },
    );
  });

  it('learns the keyword task to 100% and its pooling weight lands on the keyword', () => {
    manualSeed(3);
    const { seqs: train, labels } = keywordTask(48, 5);
    const m = new AttentiveClassifier({
      vocabSize: 12,
      numClasses: 2,
      embedDim: 8,
      hiddenSize: 8,
      dropout: 0,
    });
    const batch = padBatch(train, 0);
    const loss = trainAdam(m.parameters(), () => m.loss(batch, labels), 60, 0.03);
    assert.ok(loss < 0.05, `final loss ${loss}`);
    assert.deepEqual(Array.from(m.predict(batch)), labels);

    // The interpretability claim: on held-out positives the largest weight is on the 7.
    const test = keywordTask(40, 99);
    const tb = padBatch(test.seqs, 0);
    assert.deepEqual(Array.from(m.predict(tb)), test.labels);
    const { weights } = m.eval().forward(tb);
    const t = tb.shape[1];
    let onKeyword = 0;
    let hits = 0;
    let positives = 0;
    test.at.forEach((pos, b) => {
      if (pos < 0) return;
      positives++;
      const row = Array.from(weights.data.subarray(b * t, (b + 1) * t));
      onKeyword += row[pos];
      if (row.indexOf(Math.max(...row)) === pos) hits++;
    });
    assert.ok(hits === positives, `argmax on the keyword in ${hits} of ${positives}`);
    assert.ok(onKeyword / positives > 0.7, `mean weight on the keyword ${onKeyword / positives}`);
  });
});
