import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PastScoreKind } from '../../nn/attention/causal-rnn.js';
import type { Tensor } from '../../tensor/tensor.js';
import { describeEachBackend } from '../../testing/backends.js';
import { checkModule } from '../../testing/module-check.js';
import { Generator, manualSeed } from '../../util/random.js';
import { AttentiveRNNLM } from './attentive-rnn-lm.js';
import { type CellType, resolveAttentiveRNNLMConfig } from './config.js';
import { checkIncremental, checkMemorises, maxDiff, randomIds, repeatedString, row3 } from './testing.js';

describe('AttentiveRNNLM config', () => {
  it("defaults (score 'general', cell 'lstm') and one-line errors naming the key", () => {
    assert.deepEqual(resolveAttentiveRNNLMConfig({ vocabSize: 9 }), {
      vocabSize: 9,
      embedDim: 64,
      hiddenSize: 256,
      cell: 'lstm',
      numLayers: 1,
      dropout: 0.1,
      score: 'general',
    });
    assert.throws(() => resolveAttentiveRNNLMConfig({ vocabSize: 9, score: 'bilinear' }), {
      name: 'HeedError',
      message: `AttentiveRNNLM config: score must be 'general' | 'additive' | 'dot' | 'scaledDot', got "bilinear"`,
    });
    assert.throws(() => resolveAttentiveRNNLMConfig({ vocabSize: 9, cells: 'gru' }), {
      message:
        /AttentiveRNNLM config: unknown key 'cells' \(valid: vocabSize, embedDim, hiddenSize, cell, numLayers, dropout, score\)/,
    });
  });
});

describeEachBackend('AttentiveRNNLM (seed 000: attention over the RNN’s own past)', (backend) => {
  const tiny = { vocabSize: 7, embedDim: 4, hiddenSize: 5 };

  it('shapes; step 0 attends to nothing (zero weights, finite logits); rows t > 0 sum to 1', () => {
    manualSeed(1);
    const m = new AttentiveRNNLM(tiny).eval();
    const ids = randomIds(2, 5, 7, 1);
    const { logits, weights } = m.forward({ ids, shape: [2, 5] });
    assert.deepEqual(logits.shape, [2, 5, 7]);
    assert.ok(weights !== undefined);
    assert.deepEqual(weights.shape, [2, 5, 5]);
    assert.ok(logits.data.every(Number.isFinite));
    for (let b = 0; b < 2; b++) {
      assert.ok(
        row3(weights, b, 0).every((w) => w === 0),
        'step 0 has no past',
      );
      for (let t = 1; t < 5; t++) {
        const row = row3(weights, b, t);
        let total = 0;
        for (let s = 0; s < t; s++) total += row[s];
        assert.ok(Math.abs(total - 1) < 1e-5, `row ${t} sums to ${total}`);
        for (let s = t; s < 5; s++) assert.equal(row[s], 0, `step ${t} does not see step ${s}`);
      }
    }
    const first = m.step(Int32Array.of(1, 2), m.initialState(2));
    assert.deepEqual(first.attention?.shape, [2, 0]);
    assert.ok(first.logProbs.data.every(Number.isFinite));
  });

  const variants: [CellType, PastScoreKind, number][] = [
    ['lstm', 'general', 2],
    ['gru', 'additive', 1],
    ['rnn', 'dot', 1],
    ['lstm', 'scaledDot', 1],
  ];
  for (const [cell, score, numLayers] of variants) {
    it(`incremental steps give the parallel logits and attention (${cell}, ${score}, ${numLayers} layer(s))`, () => {
      manualSeed(2);
      const m = new AttentiveRNNLM({ ...tiny, cell, score, numLayers }).eval();
      const ids = randomIds(3, 6, 7, 2);
      const { weights } = m.forward({ ids, shape: [3, 6] });
      assert.ok(weights !== undefined);
      checkIncremental(m, ids, [3, 6], (t, attention) => {
        assert.ok(attention !== undefined);
        assert.deepEqual(attention.shape, [3, t]);
        for (let r = 0; r < 3; r++) {
          const d = maxDiff(attention.data.subarray(r * t, (r + 1) * t), row3(weights, r, t).subarray(0, t));
          assert.ok(d < 1e-5, `attention of step ${t}, row ${r} differs by ${d}`);
        }
      });
    });
  }

  it('is causal: changing a later token changes no earlier logits', () => {
    manualSeed(3);
    const m = new AttentiveRNNLM(tiny).eval();
    const ids = randomIds(1, 7, 7, 3);
    const changed = ids.slice();
    changed[4] = (ids[4] + 1) % 7;
    const a = m.forward({ ids, shape: [1, 7] }).logits;
    const b = m.forward({ ids: changed, shape: [1, 7] }).logits;
    for (let t = 0; t < 4; t++) assert.ok(maxDiff(row3(a, 0, t), row3(b, 0, t)) < 1e-7, `position ${t}`);
    for (let t = 4; t < 7; t++) assert.ok(maxDiff(row3(a, 0, t), row3(b, 0, t)) > 1e-6, `position ${t}`);
  });

  it('selectRows reorders and repeats rows of the state (past included)', () => {
    manualSeed(4);
    const m = new AttentiveRNNLM({ ...tiny, cell: 'lstm' }).eval();
    let state = m.initialState(2);
    for (const tokens of [Int32Array.of(1, 2), Int32Array.of(3, 4), Int32Array.of(5, 6)]) {
      state = m.step(tokens, state).state;
    }
    const next = m.step(Int32Array.of(2, 3), state);
    const picked = m.step(Int32Array.of(3, 3, 2), m.selectRows(state, Int32Array.of(1, 1, 0)));
    const v = 7;
    const row = (t: Tensor, r: number, w: number) => t.data.subarray(r * w, (r + 1) * w);
    assert.ok(maxDiff(row(picked.logProbs, 0, v), row(next.logProbs, 1, v)) < 1e-6);
    assert.ok(maxDiff(row(picked.logProbs, 1, v), row(next.logProbs, 1, v)) < 1e-6);
    assert.ok(maxDiff(row(picked.logProbs, 2, v), row(next.logProbs, 0, v)) < 1e-6);
    assert.deepEqual(picked.state.past.shape, [3, 4, 5]);
    assert.deepEqual(m.selectRows(m.initialState(2), Int32Array.of(0, 0, 1)).past.shape, [3, 0, 5]);
  });

  it('gradients of the loss and the attention weights w.r.t. every parameter', () => {
    const ids = randomIds(2, 4, 5, 5);
    const targets = randomIds(2, 4, 5, 6);
    const cases: [CellType, PastScoreKind][] = [
      ['lstm', 'general'],
      ['gru', 'additive'],
    ];
    for (const [cell, score] of cases) {
      checkModule(
        backend,
        (init) => new AttentiveRNNLM({ vocabSize: 5, embedDim: 3, hiddenSize: 3, cell, score }, init).eval(),
        (m) => {
          const { logits, weights } = m.forward({ ids, shape: [2, 4] });
          assert.ok(weights !== undefined);
          return [m.loss({ ids, shape: [2, 4] }, targets), logits, weights];
        },
        [],
        { atol: 1e-5, rtol: 1e-4 },
      );
    }
  });

  it('generation: per-token attention over everything before, eos stops, seeded sampling repeats', () => {
    manualSeed(5);
    const m = new AttentiveRNNLM(tiny);
    const prompt = [1, 2, 3];
    const g = m.generate(prompt, { maxTokens: 4, temperature: 0 });
    assert.equal(m.training, true, 'generate restores the training mode');
    assert.equal(g.tokens.length, 4);
    assert.deepEqual(
      g.attention?.map((a) => a.length),
      [2, 3, 4, 5],
    );
    const sampled = (seed: number) =>
      m.generate(prompt, { maxTokens: 8, topK: 4, topP: 0.9, generator: new Generator(seed) }).tokens;
    assert.deepEqual(sampled(7), sampled(7));
    const stop = g.tokens[1];
    const stopped = m.generate(prompt, { maxTokens: 4, temperature: 0, eos: stop });
    assert.deepEqual(stopped.tokens, g.tokens.slice(0, g.tokens.indexOf(stop) + 1));
    assert.throws(
      () => m.generate([], { maxTokens: 2 }),
      /AttentiveRNNLM.generate: the prompt needs at least one token/,
    );
  });

  it('memorises a short repeated string', () => {
    manualSeed(6);
    const { vocab } = repeatedString();
    const m = new AttentiveRNNLM({ vocabSize: vocab, embedDim: 8, hiddenSize: 24, dropout: 0 });
    checkMemorises(m, 120, 0.03);
  });
});
