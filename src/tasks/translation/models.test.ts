import '../../backend/native/register.js';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { translationAttention } from './attention.js';
import { loadTranslator } from './checkpoint.js';
import { memoryIO, toyConfig, toyData } from './fixtures.js';
import { trainTranslator } from './task.js';

/**
 * Every model kind runs through the task (a few steps each: wiring, not learning), and its
 * checkpoint gives alignment maps of the right shape for `heed attend`.
 */
const data = toyData();
after(() => data.cleanup());

const short = { maxSteps: 4, evalEvery: 0 };

const kinds = {
  'seq2seq-none': { kind: 'seq2seq', embedDim: 8, hiddenSize: 16, attention: 'none', dropout: 0 },
  'seq2seq-dot-luong-lstm': {
    kind: 'seq2seq',
    embedDim: 8,
    hiddenSize: 16,
    attention: 'dot',
    decoder: 'luong',
    cell: 'lstm',
    bidirectional: false,
  },
  'attention-seq2seq': { kind: 'attention-seq2seq', dModel: 16, dFeedforward: 32, maxLen: 16 },
  transformer: {
    kind: 'transformer',
    dModel: 16,
    nhead: 2,
    numEncoderLayers: 2,
    numDecoderLayers: 2,
    dimFeedforward: 32,
    maxLen: 10,
  },
};

function rowsSumToOne(weights: number[][], cols: number): void {
  for (const row of weights) {
    assert.equal(row.length, cols);
    assert.ok(
      Math.abs(row.reduce((p, q) => p + q, 0) - 1) < 1e-4,
      `row sums to ${row.reduce((p, q) => p + q, 0)}`,
    );
  }
}

describe('translation task with every model kind', () => {
  for (const [name, model] of Object.entries(kinds)) {
    it(`${name}: trains, checkpoints, reloads and shows attention`, async () => {
      const config = toyConfig(data, {
        name,
        model,
        training: short,
        eval: { validBleuSize: 5, beamSize: 2 },
      });
      const { translator, result } = await trainTranslator(config, memoryIO());
      assert.ok(Number.isFinite(result.metrics.bleu));
      assert.equal(result.tables[0].title, 'Test scores by source words (beam 2, alpha 0)');
      const loaded = loadTranslator(config.output);
      assert.deepEqual(loaded.translate(['a b c d']), translator.translate(['a b c d']));
      if (name === 'seq2seq-none') {
        assert.equal(translator.translate(['a b'])[0].attention, null);
        assert.throws(
          () => translationAttention(loaded, 'a b'),
          /^HeedError: attend: seq2seq-none is a seq2seq model without attention/,
        );
        return;
      }
      const map = translationAttention(config.output, 'a b c d', { beamSize: 2 });
      assert.deepEqual(map.colLabels, ['a', 'b', 'c', 'd']);
      assert.equal(map.weights.length, map.rowLabels.length);
      rowsSumToOne(map.weights, 4);
      // The teacher-forced map equals the rows the search recorded step by step.
      const [t] = loaded.translate(['a b c d'], { beamSize: 2 });
      assert.equal(map.translation, t.text);
      for (const [i, row] of (t.attention ?? []).entries()) {
        for (const [j, w] of row.entries()) assert.ok(Math.abs(w - map.weights[i][j]) < 1e-5);
      }
      if (name === 'transformer') {
        assert.match(map.title, /last decoder layer's cross-attention, mean of 2 heads/);
        assert.deepEqual(
          map.maps?.map((m) => m.title),
          [
            'layer 1, mean of heads',
            'layer 1, head 1',
            'layer 1, head 2',
            'layer 2, mean of heads',
            'layer 2, head 1',
            'layer 2, head 2',
          ],
        );
        for (const m of map.maps ?? []) rowsSumToOne(m.weights, 4);
        assert.deepEqual(map.maps?.[3].weights, map.weights);
        assert.throws(
          () => loaded.translate(['a b c d e f g h a b c']),
          /^HeedError: translate: input line 1 has 11 source tokens, more than the model's maxLen 10$/,
        );
      } else assert.equal(map.maps, undefined);
    });
  }

  it('token-count batches (maxTokens) and BPE tokenizers train too', async () => {
    const config = toyConfig(data, {
      name: 'bpe',
      training: { ...short, batchSize: undefined, maxTokens: 120 },
    });
    config.data = {
      ...config.data,
      srcTokenizer: { kind: 'bpe', numMerges: 10 },
      tgtTokenizer: { kind: 'char' },
    };
    delete config.training.batchSize;
    const { translator } = await trainTranslator(config, memoryIO());
    assert.equal(translator.tgt.tokenizer.kind, 'char');
    assert.equal(loadTranslator(config.output).src.tokenizer.kind, 'bpe');
    const map = translationAttention(translator, 'ab c');
    assert.deepEqual(translator.translate(['ab c'])[0].sourceTokens, ['a', 'b</w>', 'c</w>']);
    assert.deepEqual(map.colLabels, ['a@@', 'b', 'c'], 'BPE pieces are labelled as subword-nmt writes them');
    assert.equal(map.rowLabels.length, map.weights.length);
  });
});
