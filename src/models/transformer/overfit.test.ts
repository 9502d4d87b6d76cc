import assert from 'node:assert/strict';
import { it } from 'node:test';
import { seq2seqBatch } from '../../data/batching.js';
import { greedySearch } from '../../decode/greedy.js';
import type { Parameter } from '../../nn/parameter.js';
import { describeEachBackend } from '../../testing/backends.js';
import { Generator } from '../../util/random.js';
import { GPT } from './gpt.js';
import { Transformer } from './transformer.js';

/**
 * Tiny end-to-end runs: each model must fit a small task exactly within a few hundred Adam
 * steps. A minimal Adam (Kingma & Ba 2015, Algorithm 1) keeps this test independent of src/optim.
 */
function adam(params: readonly Parameter[], lr: number): () => void {
  const [beta1, beta2, eps] = [0.9, 0.999, 1e-8];
  const m = params.map((p) => new Float64Array(p.size));
  const v = params.map((p) => new Float64Array(p.size));
  let t = 0;
  return () => {
    t++;
    const c1 = 1 - beta1 ** t;
    const c2 = 1 - beta2 ** t;
    params.forEach((p, i) => {
      const g = p.grad;
      if (g === null) return;
      for (let j = 0; j < p.size; j++) {
        m[i][j] = beta1 * m[i][j] + (1 - beta1) * g.data[j];
        v[i][j] = beta2 * v[i][j] + (1 - beta2) * g.data[j] * g.data[j];
        p.data[j] -= (lr * (m[i][j] / c1)) / (Math.sqrt(v[i][j] / c2) + eps);
      }
      p.grad = null;
    });
  };
}

describeEachBackend('Transformer and GPT fit tiny tasks', () => {
  it('a tiny Transformer learns to reverse 24 sequences; greedy decoding reproduces them', () => {
    const gen = new Generator(7);
    const specials = { padId: 0, bosId: 1, eosId: 2 };
    const pairs = Array.from({ length: 24 }, () => {
      const src = Array.from({ length: 3 + gen.int(4) }, () => 3 + gen.int(8));
      return { src, tgt: [...src].reverse() };
    });
    const batch = seq2seqBatch(pairs, specials);
    const model = new Transformer(
      {
        srcVocabSize: 11,
        tgtVocabSize: 11,
        dModel: 32,
        nhead: 2,
        numEncoderLayers: 1,
        numDecoderLayers: 1,
        dimFeedforward: 64,
        dropout: 0,
        maxLen: 16,
      },
      { generator: new Generator(8) },
    );
    const step = adam(model.parameters(), 1e-2);
    let loss = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 300 && loss > 0.01; i++) {
      const l = model.loss(batch);
      l.backward();
      step();
      loss = l.item();
    }
    assert.ok(loss < 0.05, `final loss ${loss}`);
    model.eval();
    const hyps = greedySearch(model, model.initialState(batch.src), pairs.length, {
      bos: 1,
      eos: 2,
      maxLength: 8,
    });
    hyps.forEach((h, i) => {
      assert.deepEqual(h.tokens, [...pairs[i].tgt, 2], `pair ${i}`);
    });
  });

  it('a tiny GPT memorises a string; generation from its first character recites it', () => {
    const text = 'attention is all you need, said the paper.';
    const chars = [...new Set(text)].sort();
    const encoded = [...text].map((c) => chars.indexOf(c));
    const model = new GPT(
      { vocabSize: chars.length, blockSize: 48, nLayer: 2, nHead: 2, nEmbd: 32 },
      { generator: new Generator(9) },
    );
    const input = {
      ids: Int32Array.from(encoded.slice(0, -1)),
      shape: [1, encoded.length - 1] as [number, number],
    };
    const targets = Int32Array.from(encoded.slice(1));
    const step = adam(model.parameters(), 1e-2);
    let loss = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 300 && loss > 0.01; i++) {
      const l = model.loss(input, targets);
      l.backward();
      step();
      loss = l.item();
    }
    assert.ok(loss < 0.05, `final loss ${loss}`);
    const out = model.generate(
      { ids: Int32Array.from([encoded[0]]), shape: [1, 1] },
      { maxTokens: encoded.length - 1, topK: 1, generator: new Generator(10) },
    );
    assert.equal([...out.ids].map((i) => chars[i]).join(''), text);
  });
});
