import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeEachBackend } from '../../testing/backends.js';
import { checkModule } from '../../testing/module-check.js';
import { Generator, manualSeed } from '../../util/random.js';
import { type CellType, resolveRNNLMConfig } from './config.js';
import { RNNLM } from './rnn-lm.js';
import { checkIncremental, checkMemorises, repeatedString } from './testing.js';

describe('RNNLM config', () => {
  it('defaults and errors', () => {
    assert.deepEqual(resolveRNNLMConfig({ vocabSize: 9 }), {
      vocabSize: 9,
      embedDim: 64,
      hiddenSize: 256,
      cell: 'lstm',
      numLayers: 1,
      dropout: 0.1,
    });
    assert.throws(() => resolveRNNLMConfig({ vocabSize: 9, score: 'general' }), {
      message: /RNNLM config: unknown key 'score'/,
    });
    assert.throws(() => resolveRNNLMConfig({ vocabSize: 9, cell: 'LSTM' }), {
      message: `RNNLM config: cell must be 'lstm' | 'gru' | 'rnn', got "LSTM"`,
    });
  });
});

describeEachBackend('RNNLM (the plain LSTM language model)', (backend) => {
  const tiny = { vocabSize: 7, embedDim: 4, hiddenSize: 5 };

  const cells: CellType[] = ['lstm', 'gru', 'rnn'];
  for (const cell of cells) {
    it(`incremental steps give the parallel logits (${cell}, 2 layers)`, () => {
      manualSeed(1);
      const m = new RNNLM({ ...tiny, cell, numLayers: 2 }).eval();
      const gen = new Generator(1);
      const ids = Int32Array.from({ length: 3 * 6 }, () => gen.int(7));
      const { logits, weights } = m.forward({ ids, shape: [3, 6] });
      assert.deepEqual(logits.shape, [3, 6, 7]);
      assert.equal(weights, undefined);
      checkIncremental(m, ids, [3, 6], (_, attention) => assert.equal(attention, undefined));
    });
  }

  it('parameter names', () => {
    assert.deepEqual(
      [...new RNNLM({ ...tiny, cell: 'gru' }).stateDict().keys()],
      [
        'embedding.weight',
        'rnn.weight_ih_l0',
        'rnn.weight_hh_l0',
        'rnn.bias_ih_l0',
        'rnn.bias_hh_l0',
        'output.weight',
        'output.bias',
      ],
    );
  });

  it('gradient of the loss w.r.t. every parameter', () => {
    const ids = [1, 2, 3, 4, 0, 2, 2, 1];
    const targets = [2, 3, 4, 0, 2, 2, 1, -100];
    checkModule(
      backend,
      (init) => new RNNLM({ vocabSize: 5, embedDim: 3, hiddenSize: 3 }, init).eval(),
      (m) => [m.loss({ ids, shape: [2, 4] }, targets)],
      [],
      { atol: 1e-5, rtol: 1e-4 },
    );
  });

  it('generation has no attention; selectRows works on the recurrent state', () => {
    manualSeed(2);
    const m = new RNNLM(tiny);
    const g = m.generate([1], { maxTokens: 3, temperature: 0 });
    assert.equal(g.tokens.length, 3);
    assert.equal(g.attention, undefined);
    const s = m.selectRows(m.initialState(2), Int32Array.of(1, 1, 0));
    assert.deepEqual(s.h.shape, [1, 3, 5]);
    assert.deepEqual(s.c?.shape, [1, 3, 5]);
  });

  it('memorises a short repeated string', () => {
    manualSeed(3);
    const { vocab } = repeatedString();
    checkMemorises(new RNNLM({ vocabSize: vocab, embedDim: 8, hiddenSize: 24, dropout: 0 }), 120, 0.03);
  });
});
