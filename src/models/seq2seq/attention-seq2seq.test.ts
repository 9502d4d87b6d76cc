import assert from 'node:assert/strict';
import { it } from 'node:test';
import { noGrad } from '../../autograd/engine.js';
import { indexSelect } from '../../ops/indexing.js';
import { reshape, slice } from '../../ops/shape.js';
import { logSoftmax } from '../../ops/softmax.js';
import { Adam } from '../../optim/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { describeEachBackend } from '../../testing/backends.js';
import { assertClose } from '../../testing/gradcheck.js';
import { HeedError } from '../../util/errors.js';
import { Generator } from '../../util/random.js';
import { AttentionSeq2Seq, type AttentionSeq2SeqConfig } from './attention-seq2seq.js';
import { column, padRows, reversePairs, teacherBatch, tokenAccuracy } from './fixtures.js';

const V = 12;
const src = padRows([
  [3, 4, 5, 6, 7],
  [8, 9],
  [3, 3, 4, 10],
]);
const tgtIn = padRows([
  [1, 5, 6, 7],
  [1, 8],
  [1, 4, 4, 11],
]);

function tiny(config: Partial<AttentionSeq2SeqConfig> = {}): AttentionSeq2Seq {
  return new AttentionSeq2Seq(
    { srcVocabSize: 11, tgtVocabSize: V, dModel: 8, dFeedforward: 16, dropout: 0, ...config },
    { generator: new Generator(23) },
  );
}

function at(x: Tensor, t: number): Tensor {
  return reshape(slice(x, 1, t, t + 1), [x.shape[0], ...x.shape.slice(2)]);
}

describeEachBackend('AttentionSeq2Seq (seed 004)', () => {
  it('shapes; cross-attention rows sum to 1 over real source tokens, 0 on padding', () => {
    const m = tiny();
    const out = m.forward(src, tgtIn);
    assert.deepEqual(out.logits.shape, [3, 4, V]);
    assert.deepEqual(out.attention.shape, [3, 4, 5]);
    assert.deepEqual(out.encoderSelfAttention.shape, [3, 5, 5]);
    assert.deepEqual(out.decoderSelfAttention.shape, [3, 4, 4]);
    for (let b = 0; b < 3; b++) {
      for (let t = 0; t < 4; t++) {
        let total = 0;
        for (let j = 0; j < 5; j++) {
          const w = out.attention.data[(b * 4 + t) * 5 + j];
          if (j < src.lengths[b]) total += w;
          else assert.equal(w, 0);
        }
        assert.ok(Math.abs(total - 1) < 1e-5);
      }
    }
    // The decoder's self-attention is causal: nothing above the diagonal.
    const d = out.decoderSelfAttention.data;
    for (let b = 0; b < 3; b++)
      for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) assert.equal(d[(b * 4 + i) * 4 + j], 0);
  });

  it('causal: changing a later target token leaves the earlier logits unchanged', () => {
    const m = tiny();
    const a = m.forward(src, tgtIn).logits;
    const changed = { ...tgtIn, ids: tgtIn.ids.slice() };
    changed.ids[2] = 9; // row 0, position 2
    const b = m.forward(src, changed).logits;
    assertClose(slice(b, 1, 0, 2), slice(a, 1, 0, 2), 0, 0, 'positions 0 and 1');
    const later = slice(b, 1, 2, 4).data;
    assert.ok(
      slice(a, 1, 2, 4).data.some((x, i) => x !== later[i]),
      'positions 2 and 3 do change',
    );
  });

  for (const scale of [true, false]) {
    it(`step with the teacher tokens equals teacher forcing (scale ${scale}); selectRows`, () => {
      const m = tiny({ scale }).eval();
      noGrad(() => {
        const full = m.forward(src, tgtIn);
        const logProbs = logSoftmax(full.logits, -1);
        let state = m.encode(src);
        for (let t = 0; t < 4; t++) {
          const o = m.step(column(tgtIn, t), state);
          assertClose(o.logProbs, at(logProbs, t), 1e-5, 1e-5, `step ${t}`);
          assert.ok(o.attention !== undefined);
          assertClose(o.attention, at(full.attention, t), 1e-6, 1e-5, `attention at step ${t}`);
          if (t === 1) {
            // Reorder and repeat rows mid-way; the next step must follow.
            const rows = Int32Array.from([2, 0, 0]);
            const next = m.step(
              Int32Array.from(rows, (r) => column(tgtIn, 2)[r]),
              m.selectRows(o.state, rows),
            );
            assertClose(next.logProbs, indexSelect(at(logProbs, 2), 0, rows), 1e-5, 1e-5, 'selected rows');
            const block = m.selectRows(
              m.selectRows(o.state, Int32Array.from([0, 0, 1, 1, 2, 2])),
              Int32Array.from([1, 0, 2, 3, 4, 5]),
            );
            assert.equal(block.sources, o.state.sources);
          }
          state = o.state;
        }
      });
    });
  }

  it('learns to copy 20 random sequences', () => {
    const pairs = reversePairs(20, 10, 3, 6, 7).map((p) => ({ src: p.src, tgt: p.src }));
    const batch = teacherBatch(pairs);
    const m = new AttentionSeq2Seq(
      { srcVocabSize: 10, tgtVocabSize: 10, dModel: 32, dFeedforward: 64, dropout: 0 },
      { generator: new Generator(4) },
    );
    const adam = new Adam(m.parameters(), { lr: 0.01 });
    let loss = Number.NaN;
    // Adam at lr 0.01 has loss spikes on this batch, so the accuracy after 80 steps hung on
    // float rounding (0.9–1.0 across generator seeds, backends and equivalent layer-norm
    // implementations); every such variant copies perfectly by step 120.
    for (let s = 0; s < 120; s++) {
      const l = m.loss(batch);
      l.backward();
      adam.step();
      adam.zeroGrad();
      loss = l.item();
    }
    const acc = tokenAccuracy(
      noGrad(() => m.eval().forward(batch.src, batch.tgtIn).logits),
      batch.tgtOut,
    );
    assert.ok(acc >= 0.98, `token accuracy ${acc} (loss ${loss})`);
  });

  it('bad input and config are one-line errors', () => {
    const m = tiny();
    const check = (fn: () => unknown, pattern: RegExp): void => {
      assert.throws(
        fn,
        (e: unknown) => e instanceof HeedError && pattern.test(e.message) && !e.message.includes('\n'),
      );
    };
    check(() => m.forward(padRows([[3, 11]]), padRows([[1]])), /source token id 11 at row 0, position 1/);
    check(
      () => m.encode({ ids: new Int32Array([3, 0]), shape: [2, 1], lengths: [1, 0] }),
      /source row 1 is empty/,
    );
    check(
      () => new AttentionSeq2Seq(JSON.parse('{"srcVocabSize": 4, "tgtVocabSize": 4, "dmodel": 8}')),
      /unknown key "dmodel".*"dModel"/,
    );
    check(
      () => new AttentionSeq2Seq(JSON.parse('{"srcVocabSize": 4, "tgtVocabSize": 4, "scale": 1}')),
      /config.scale must be true or false/,
    );
  });
});
