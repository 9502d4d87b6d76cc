import assert from 'node:assert/strict';
import { it } from 'node:test';
import { noGrad } from '../../autograd/engine.js';
import { withBackend } from '../../backend/registry.js';
import type { DType, Tensor } from '../../tensor/tensor.js';
import { describeEachBackend } from '../../testing/backends.js';
import { assertClose } from '../../testing/gradcheck.js';
import { Generator } from '../../util/random.js';
import type { Seq2SeqConfig } from './config.js';
import { padRows } from './fixtures.js';
import { Seq2Seq } from './model.js';

/**
 * The loss gradient of whole models: on js, central finite differences in float64 against
 * backpropagation for two entries of every parameter tensor; on native, float32 gradients
 * against the float64 js reference. One small configuration per decoder, chosen so that
 * together they cover both cells, a bidirectional and a unidirectional encoder, two layers,
 * the attention's projection paths, and seed 001's fused one-layer GRU decoder with every score.
 */

const batch = {
  src: padRows([
    [3, 4, 5, 6],
    [7, 8],
  ]),
  tgtIn: padRows([
    [1, 5, 6],
    [1, 8],
  ]),
  tgtOut: padRows([
    [5, 6, 2],
    [8, 2],
  ]),
};

const configs: Record<string, Seq2SeqConfig> = {
  'seed001 / additive / lstm / bidirectional / 2 layers': {
    srcVocabSize: 9,
    tgtVocabSize: 10,
    embedDim: 3,
    hiddenSize: 3,
    numLayers: 2,
    cell: 'lstm',
    attention: 'additive',
    attentionDim: 2,
    decoder: 'seed001',
    dropout: 0,
  },
  // One-layer GRUs with attention run seed 001's decoder as the fused attentiveGru node.
  'seed001 / additive / gru / bidirectional': {
    srcVocabSize: 9,
    tgtVocabSize: 10,
    embedDim: 3,
    hiddenSize: 3,
    cell: 'gru',
    attention: 'additive',
    attentionDim: 2,
    decoder: 'seed001',
    dropout: 0,
  },
  'seed001 / dot / gru / unidirectional': {
    srcVocabSize: 9,
    tgtVocabSize: 10,
    embedDim: 3,
    hiddenSize: 3,
    cell: 'gru',
    bidirectional: false,
    attention: 'dot',
    decoder: 'seed001',
    dropout: 0,
  },
  'seed001 / general / gru / bidirectional': {
    srcVocabSize: 9,
    tgtVocabSize: 10,
    embedDim: 3,
    hiddenSize: 3,
    cell: 'gru',
    attention: 'general',
    decoder: 'seed001',
    dropout: 0,
  },
  'luong / dot (projected) / gru / bidirectional': {
    srcVocabSize: 9,
    tgtVocabSize: 10,
    embedDim: 3,
    hiddenSize: 3,
    cell: 'gru',
    attention: 'dot',
    decoder: 'luong',
    dropout: 0,
  },
  'luong / general / lstm / unidirectional': {
    srcVocabSize: 9,
    tgtVocabSize: 10,
    embedDim: 3,
    hiddenSize: 3,
    cell: 'lstm',
    bidirectional: false,
    attention: 'general',
    decoder: 'luong',
    dropout: 0,
  },
};

function build(config: Seq2SeqConfig, dtype: DType): Seq2Seq {
  return new Seq2Seq(config, { dtype, generator: new Generator(5) });
}

/** Two entries of a parameter, avoiding the padding row of an embedding (it never gets a gradient). */
function probes(name: string, p: Tensor): number[] {
  const first = name.endsWith('embedding.weight') ? p.shape[1] : 0;
  return [first, first + Math.floor((p.size - first) / 2) + 1].filter((i) => i < p.size);
}

describeEachBackend('Seq2Seq loss gradients', (backend) => {
  for (const [name, config] of Object.entries(configs)) {
    it(`${name}: ${backend === 'js' ? 'finite differences' : 'native float32 equals the float64 reference'}`, () => {
      const ref = build(config, 'float64');
      withBackend('js', () => ref.loss(batch).backward());
      if (backend === 'js') {
        const eps = 1e-6;
        for (const [key, p] of ref.namedParameters()) {
          assert.ok(p.grad !== null, `${key} got a gradient`);
          for (const j of probes(key, p)) {
            const orig = p.data[j];
            p.data[j] = orig + eps;
            const up = noGrad(() => ref.loss(batch).item());
            p.data[j] = orig - eps;
            const down = noGrad(() => ref.loss(batch).item());
            p.data[j] = orig;
            const numeric = (up - down) / (2 * eps);
            const analytic = p.grad.data[j];
            assert.ok(
              Math.abs(numeric - analytic) <= 1e-6 + 1e-5 * Math.abs(numeric),
              `${key}[${j}]: analytic ${analytic}, numeric ${numeric}`,
            );
          }
        }
        return;
      }
      const m = build(config, 'float32');
      m.loadStateDict(ref.stateDict());
      const loss = m.loss(batch);
      loss.backward();
      assert.ok(Math.abs(loss.item() - withBackend('js', () => noGrad(() => ref.loss(batch).item()))) < 1e-5);
      const refGrads = new Map(ref.namedParameters());
      for (const [key, p] of m.namedParameters()) {
        const want = refGrads.get(key)?.grad ?? null;
        assert.ok(p.grad !== null && want !== null, `${key} got a gradient`);
        assertClose(p.grad, want, 1e-5, 1e-3, key);
      }
    });
  }
});
