import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { beamSearch } from '../../decode/beam.js';
import { crossEntropy } from '../../ops/loss.js';
import { mean } from '../../ops/reduce.js';
import { reshape, slice } from '../../ops/shape.js';
import { logSoftmax } from '../../ops/softmax.js';
import type { Tensor } from '../../tensor/tensor.js';
import { describeEachBackend } from '../../testing/backends.js';
import { assertClose } from '../../testing/gradcheck.js';
import { HeedError } from '../../util/errors.js';
import { Generator } from '../../util/random.js';
import { resolveTransformerConfig, type TransformerConfig } from './config.js';
import { Transformer } from './transformer.js';

const TOL = 1e-5;

const tiny: TransformerConfig = {
  srcVocabSize: 11,
  tgtVocabSize: 13,
  dModel: 16,
  nhead: 2,
  numEncoderLayers: 2,
  numDecoderLayers: 2,
  dimFeedforward: 32,
  dropout: 0.1,
  maxLen: 8,
};

function model(config: Partial<TransformerConfig> = {}): Transformer {
  return new Transformer({ ...tiny, ...config }, { generator: new Generator(1) }).eval();
}

function batch(rows: number[][], lengths?: number[]) {
  const shape: [number, number] = [rows.length, rows[0].length];
  return { ids: Int32Array.from(rows.flat()), shape, lengths: lengths && Int32Array.from(lengths) };
}

/** Position t of [B, T, V] → [B, V]. */
function at(x: Tensor, t: number): Tensor {
  return reshape(slice(x, 1, t, t + 1), [x.shape[0], x.shape[2]]);
}

// Source rows of lengths 5 and 3 (padId 0 after), target inputs starting with bos = 1.
const src = batch(
  [
    [3, 4, 5, 6, 7],
    [8, 9, 10, 0, 0],
  ],
  [5, 3],
);
const tgt = batch([
  [1, 5, 6, 7, 8, 9],
  [1, 11, 12, 2, 0, 0],
]);

describe('Transformer config', () => {
  it('fills in the defaults of the brief', () => {
    const c = resolveTransformerConfig({ srcVocabSize: 10, tgtVocabSize: 12 });
    assert.deepEqual(c, {
      srcVocabSize: 10,
      tgtVocabSize: 12,
      dModel: 256,
      nhead: 4,
      numEncoderLayers: 3,
      numDecoderLayers: 3,
      dimFeedforward: 1024,
      dropout: 0.1,
      maxLen: 256,
      normFirst: true,
      tieEmbeddings: false,
      padId: 0,
    });
  });

  it('rejects unknown keys, wrong types and impossible sizes in one line', () => {
    const cases: [unknown, RegExp][] = [
      [{ ...tiny, dmodel: 16 }, /unknown key "dmodel".*did you mean "dModel"/],
      [{ ...tiny, nhead: '2' }, /config\.nhead must be an integer >= 1, got "2" \(a string\)/],
      [{ ...tiny, dropout: 1 }, /config\.dropout must be a number >= 0 and < 1, got 1/],
      [{ ...tiny, nhead: 3 }, /dModel 16 is not divisible by config\.nhead 3/],
      [{ ...tiny, padId: 11 }, /padId 11 must be below both vocabulary sizes \(11\)/],
      [{ tgtVocabSize: 3 }, /config\.srcVocabSize is missing/],
      [{ ...tiny, tieEmbeddings: 1 }, /tieEmbeddings must be true or false/],
    ];
    for (const [config, pattern] of cases) {
      assert.throws(
        () => resolveTransformerConfig(config),
        (e: unknown) => e instanceof HeedError && pattern.test(e.message) && !e.message.includes('\n'),
      );
    }
  });
});

describeEachBackend('Transformer', () => {
  it('forward gives logits [B, Tt, V] and cross-attention [B, H, Tt, Ts] per layer', () => {
    const out = model().forward(src, tgt);
    assert.deepEqual([...out.logits.shape], [2, 6, 13]);
    assert.equal(out.crossAttention.length, 2);
    assert.deepEqual([...out.crossAttention[1].shape], [2, 2, 6, 5]);
    assert.deepEqual([...out.encoderAttention[0].shape], [2, 2, 5, 5]);
    assert.deepEqual([...out.decoderAttention[0].shape], [2, 2, 6, 6]);
    // Row 1's padded source positions 3 and 4 get no attention.
    const w = out.crossAttention[0].data;
    for (let h = 0; h < 2; h++) {
      for (let t = 0; t < 6; t++) {
        const base = ((1 * 2 + h) * 6 + t) * 5;
        assert.equal(w[base + 3], 0);
        assert.equal(w[base + 4], 0);
      }
    }
  });

  it('padding comes from padId when the batch has no lengths', () => {
    const m = model();
    const a = m.forward(src, tgt).logits;
    const b = m.forward({ ids: src.ids, shape: src.shape }, tgt).logits;
    assertClose(b, a, 1e-6, 1e-6, 'logits');
  });

  it('inputs longer than maxLen are one-line errors', () => {
    const m = model();
    const long = batch([[3, 4, 5, 6, 7, 8, 9, 10, 3]]);
    assert.throws(
      () => m.forward(long, batch([[1]])),
      /^HeedError: Transformer: source length 9 exceeds maxLen 8$/,
    );
    assert.throws(
      () => m.forward(batch([[3]]), batch([[1, 2, 3, 4, 5, 6, 7, 8, 9]])),
      /Transformer: target length 9 exceeds maxLen 8/,
    );
    assert.throws(() => m.forward(batch([[3, 11]]), batch([[1]])), /source token id 11 at row 0, position 1/);
  });

  it('loss is the cross-entropy over real target tokens, with label smoothing', () => {
    const m = model();
    const tgtOut = batch([
      [5, 6, 7, 8, 9, 2],
      [11, 12, 2, 0, 0, 0],
    ]);
    const logits = m.forward(src, tgt).logits;
    const want = crossEntropy(logits, tgtOut.ids, { ignoreIndex: 0 }).item();
    assert.ok(Math.abs(m.loss({ src, tgtIn: tgt, tgtOut }).item() - want) < 1e-5);
    const smoothed = m.loss({ src, tgtIn: tgt, tgtOut }, { labelSmoothing: 0.1 }).item();
    const wantSmoothed = crossEntropy(logits, tgtOut.ids, { ignoreIndex: 0, labelSmoothing: 0.1 }).item();
    assert.ok(Math.abs(smoothed - wantSmoothed) < 1e-5);
  });

  it('tied embeddings: the output layer is the target embedding', () => {
    const untied = model();
    const tied = model({ tieEmbeddings: true });
    assert.equal(untied.numParameters() - tied.numParameters(), 16 * 13 + 13);
    assert.ok(!tied.namedParameters().some(([n]) => n.startsWith('out_proj')));
    assert.deepEqual([...tied.forward(src, tgt).logits.shape], [2, 6, 13]);
  });

  it('causal: changing a later target token never changes earlier logits', () => {
    const m = model();
    const a = m.forward(src, tgt).logits;
    const changed = batch([
      [1, 5, 6, 3, 8, 9],
      [1, 11, 12, 4, 0, 0],
    ]);
    const b = m.forward(src, changed).logits;
    for (let t = 0; t < 3; t++) assertClose(at(b, t), at(a, t), 1e-6, 1e-6, `logits at ${t}`);
    assert.ok(Math.abs(at(b, 3).data[0] - at(a, 3).data[0]) > 1e-6, 'position 3 sees the change');
  });

  for (const tieEmbeddings of [false, true]) {
    it(`step() with the KV cache equals full recomputation at every step (tied: ${tieEmbeddings})`, () => {
      const m = model({ tieEmbeddings, normFirst: !tieEmbeddings });
      const full = m.forward(src, tgt);
      let state = m.initialState(src);
      for (let t = 0; t < 6; t++) {
        const tokens = Int32Array.from([tgt.ids[t], tgt.ids[6 + t]]);
        const out = m.step(tokens, state);
        state = out.state;
        assertClose(out.logProbs, logSoftmax(at(full.logits, t), -1), TOL, TOL, `log-probabilities at ${t}`);
        // Attention: last layer, averaged over heads, row t.
        const lastLayer = mean(full.crossAttention[1], 1); // [B, Tt, Ts]
        assert.ok(out.attention !== undefined);
        assertClose(out.attention, at(lastLayer, t), TOL, TOL, `attention at ${t}`);
      }
    });
  }

  it('selectRows reorders and repeats hypotheses as beam search does', () => {
    const m = model();
    const rows = Int32Array.from([1, 1, 0]);
    const srcAfter = {
      ids: Int32Array.from([...src.ids.slice(5, 10), ...src.ids.slice(5, 10), ...src.ids.slice(0, 5)]),
      shape: [3, 5] as [number, number],
      lengths: Int32Array.from([3, 3, 5]),
    };
    // Hypotheses after the reorder: row 1's prefix twice (continued differently), row 0's once.
    const tgtAfter = batch([
      [1, 11, 12, 2],
      [1, 11, 4, 5],
      [1, 5, 6, 7],
    ]);
    const full = m.forward(srcAfter, tgtAfter).logits;
    let state = m.initialState(src);
    state = m.step(Int32Array.from([1, 1]), state).state;
    state = m.step(Int32Array.from([5, 11]), state).state;
    state = m.selectRows(state, rows);
    for (let t = 2; t < 4; t++) {
      const tokens = Int32Array.from([tgtAfter.ids[t], tgtAfter.ids[4 + t], tgtAfter.ids[8 + t]]);
      const out = m.step(tokens, state);
      state = out.state;
      assertClose(out.logProbs, logSoftmax(at(full, t), -1), TOL, TOL, `log-probabilities at ${t}`);
    }
    assert.throws(() => m.selectRows(state, Int32Array.from([3])), /row 3 at position 0 is not in \[0, 3\)/);
  });

  it('beam search runs on it and decoding stops at maxLen', () => {
    const m = model();
    const hyps = beamSearch(m, m.initialState(src), 2, { bos: 1, eos: 2, maxLength: 8, beamSize: 3 });
    assert.equal(hyps.length, 2);
    let state = m.initialState(batch([[3]]));
    for (let t = 0; t < 8; t++) state = m.step(Int32Array.from([4]), state).state;
    assert.throws(() => m.step(Int32Array.from([4]), state), /cannot decode past maxLen 8/);
  });
});
