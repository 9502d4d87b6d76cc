import assert from 'node:assert/strict';
import { it } from 'node:test';
import { noGrad } from '../../autograd/engine.js';
import type { InitOptions } from '../../nn/init.js';
import { indexSelect } from '../../ops/indexing.js';
import { reshape, slice } from '../../ops/shape.js';
import { logSoftmax } from '../../ops/softmax.js';
import type { Tensor } from '../../tensor/tensor.js';
import { describeEachBackend } from '../../testing/backends.js';
import { assertClose } from '../../testing/gradcheck.js';
import { HeedError } from '../../util/errors.js';
import { Generator } from '../../util/random.js';
import type { Seq2SeqAttention, Seq2SeqCell, Seq2SeqDecoderKind } from './config.js';
import { column, padRows, type Tokens } from './fixtures.js';
import { Seq2Seq, type Seq2SeqState } from './model.js';

const attentions: readonly Seq2SeqAttention[] = ['none', 'dot', 'general', 'additive'];
const decoders: readonly Seq2SeqDecoderKind[] = ['seed001', 'luong'];
const cells: readonly Seq2SeqCell[] = ['gru', 'lstm'];

const V = 13;
// Three sources of lengths 5, 2, 4 (padded with 0), and teacher inputs bos + y (padded).
const src = padRows([
  [3, 4, 5, 6, 7],
  [8, 9],
  [3, 3, 4, 10],
]);
const tgtIn = padRows([
  [1, 5, 6, 7],
  [1, 8],
  [1, 4, 4, 12],
]);

/**
 * Two layers, a bidirectional encoder (E_out = 10) and H = 5, so dot attention takes the
 * projection path and every multi-layer path runs.
 */
function tiny(
  attention: Seq2SeqAttention,
  decoder: Seq2SeqDecoderKind,
  cell: Seq2SeqCell,
  init: InitOptions = {},
): Seq2Seq {
  return new Seq2Seq(
    {
      srcVocabSize: 11,
      tgtVocabSize: V,
      embedDim: 6,
      hiddenSize: 5,
      cell,
      numLayers: 2,
      dropout: 0,
      attention,
      decoder,
      attentionDim: 4,
    },
    { generator: new Generator(17), ...init },
  );
}

/** x[:, t] of a [B, T, …] tensor, as [B, …]. */
function at(x: Tensor, t: number): Tensor {
  return reshape(slice(x, 1, t, t + 1), [x.shape[0], ...x.shape.slice(2)]);
}

/** Runs `steps` teacher steps from the encoded source; returns the state and every output. */
function teacherSteps(m: Seq2Seq, tokens: Tokens, steps: number) {
  let state = m.encode(src);
  const outs = [];
  for (let t = 0; t < steps; t++) {
    const out = m.step(column(tokens, t), state);
    outs.push(out);
    state = out.state;
  }
  return { state, outs };
}

describeEachBackend('Seq2Seq', () => {
  for (const attention of attentions) {
    for (const decoder of decoders) {
      for (const cell of cells) {
        const name = `${attention} / ${decoder} / ${cell}`;

        it(`${name}: shapes, attention rows sum to 1 on real tokens and are 0 on padding`, () => {
          const m = tiny(attention, decoder, cell);
          const out = m.forward(src, tgtIn);
          assert.deepEqual(out.logits.shape, [3, 4, V]);
          if (attention === 'none') {
            assert.equal(out.attention, null);
            return;
          }
          assert.ok(out.attention !== null);
          assert.deepEqual(out.attention.shape, [3, 4, 5]);
          const w = out.attention.data;
          for (let b = 0; b < 3; b++) {
            for (let t = 0; t < 4; t++) {
              let total = 0;
              for (let j = 0; j < 5; j++) {
                const x = w[(b * 4 + t) * 5 + j];
                if (j < src.lengths[b]) total += x;
                else assert.equal(x, 0, `weight on padding, row ${b}, step ${t}, key ${j}`);
              }
              assert.ok(Math.abs(total - 1) < 1e-5, `row ${b}, step ${t} sums to ${total}`);
            }
          }
        });

        it(`${name}: step-by-step decoding with the teacher tokens equals teacher forcing`, () => {
          const m = tiny(attention, decoder, cell).eval();
          noGrad(() => {
            const full = m.forward(src, tgtIn);
            const logProbs = logSoftmax(full.logits, -1);
            const { outs } = teacherSteps(m, tgtIn, 4);
            outs.forEach((o, t) => {
              assertClose(o.logProbs, at(logProbs, t), 1e-5, 1e-5, `log-probabilities at step ${t}`);
              if (full.attention === null) assert.equal(o.attention, undefined);
              else {
                assert.ok(o.attention !== undefined);
                assertClose(o.attention, at(full.attention, t), 1e-6, 1e-5, `attention at step ${t}`);
              }
            });
          });
        });

        it(`${name}: selectRows reorders, repeats and keeps states`, () => {
          const m = tiny(attention, decoder, cell).eval();
          noGrad(() => {
            const { state } = teacherSteps(m, tgtIn, 2);
            const next = column(tgtIn, 2);
            const all = m.step(next, state);
            const check = (rows: number[], s: Seq2SeqState, what: string): void => {
              const r = Int32Array.from(rows);
              const got = m.step(
                Int32Array.from(rows, (i) => next[i]),
                m.selectRows(s, r),
              );
              assertClose(got.logProbs, indexSelect(all.logProbs, 0, r), 1e-6, 1e-5, what);
              if (all.attention !== undefined && got.attention !== undefined) {
                assertClose(got.attention, indexSelect(all.attention, 0, r), 1e-6, 1e-5, `${what} attention`);
              }
            };
            check([2, 0, 0, 1], state, 'reordered with a repeat');
            check([1], state, 'one row');
            // Beam-style: expand to 2 rows per source, then reorder inside each source's block.
            const expanded = m.selectRows(state, Int32Array.from([0, 0, 1, 1, 2, 2]));
            const reordered = m.selectRows(expanded, Int32Array.from([1, 0, 3, 3, 5, 4]));
            assert.equal(
              reordered.memory,
              expanded.memory,
              'the memory is reused when every row keeps its source',
            );
            const got = m.step(
              Int32Array.from([0, 0, 1, 1, 2, 2], (i) => next[i]),
              reordered,
            );
            assertClose(
              got.logProbs,
              indexSelect(all.logProbs, 0, Int32Array.from([0, 0, 1, 1, 2, 2])),
              1e-6,
              1e-5,
              'expanded then reordered',
            );
          });
        });
      }
    }
  }

  it('a batch of one source of length one', () => {
    const m = tiny('additive', 'seed001', 'gru');
    const out = m.forward(padRows([[4]]), padRows([[1, 5, 6]]));
    assert.deepEqual(out.logits.shape, [1, 3, V]);
    assert.ok(out.attention !== null);
    assert.deepEqual([...out.attention.data], [1, 1, 1]);
  });

  it('loss ignores padded targets and takes label smoothing', () => {
    const m = tiny('general', 'luong', 'gru');
    const tgtOut = padRows([
      [5, 6, 7, 2],
      [8, 2],
      [4, 4, 12, 2],
    ]);
    const loss = m.loss({ src, tgtIn, tgtOut }).item();
    assert.ok(Number.isFinite(loss) && loss > 0);
    // Changing a logit at a padded position cannot change the loss: equal to a manual mean.
    const { logits } = m.forward(src, tgtIn);
    const lp = logSoftmax(logits, -1).data;
    let total = 0;
    let n = 0;
    tgtOut.ids.forEach((y, i) => {
      if (y === 0) return;
      total -= lp[i * V + y];
      n++;
    });
    assert.ok(Math.abs(loss - total / n) < 1e-5);
    const smoothed = m.loss({ src, tgtIn, tgtOut }, { labelSmoothing: 0.1 }).item();
    assert.notEqual(smoothed, loss);
  });
});

describeEachBackend('Seq2Seq bad input', () => {
  const m = tiny('dot', 'seed001', 'gru');
  const oneLine = (fn: () => unknown, pattern: RegExp): void => {
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof HeedError);
      assert.match(e.message, pattern);
      assert.ok(!e.message.includes('\n'), 'one line');
      return true;
    });
  };

  it('a source id outside the vocabulary names the id, row, position and vocabulary size', () => {
    const bad = padRows([[3, 11, 4]]);
    oneLine(
      () => m.forward(bad, padRows([[1, 2]])),
      /source token id 11 at row 0, position 1 .*srcVocabSize 11/,
    );
    oneLine(() => m.encode(bad), /source token id 11/);
  });

  it('a target id outside the vocabulary, in forward and in step', () => {
    oneLine(
      () =>
        m.forward(
          src,
          padRows([
            [1, 2],
            [1, 13],
            [1, 1],
          ]),
        ),
      /target token id 13 at row 1, position 1/,
    );
    oneLine(() => m.step(Int32Array.from([1, 99, 1]), m.encode(src)), /target token id 99/);
  });

  it('an empty source', () => {
    const empty = { ids: new Int32Array([3, 4, 0, 0]), shape: [2, 2] as [number, number], lengths: [2, 0] };
    oneLine(() => m.forward(empty, padRows([[1], [1]])), /source row 1 is empty \(length 0\)/);
    oneLine(() => m.encode({ ids: new Int32Array(0), shape: [1, 0] }), /source sequences are empty/);
  });

  it('mismatched batches, wrong row indices and bad configs', () => {
    oneLine(() => m.forward(src, padRows([[1, 2]])), /source batch has 3 rows and the target 1/);
    oneLine(
      () => m.selectRows(m.encode(src), Int32Array.from([3])),
      /row 3 at position 0 is not in \[0, 3\)/,
    );
    oneLine(
      () => new Seq2Seq(JSON.parse('{"srcVocabSize": 5, "tgtVocabSize": 5, "hidenSize": 3}')),
      /unknown key "hidenSize".*hiddenSize/,
    );
    oneLine(
      () => new Seq2Seq(JSON.parse('{"srcVocabSize": 5, "tgtVocabSize": 5, "cell": "rnn"}')),
      /config.cell must be 'gru' \| 'lstm'/,
    );
    oneLine(() => new Seq2Seq({ srcVocabSize: 5, tgtVocabSize: 5, padId: 7 }), /padId 7/);
  });
});
