import assert from 'node:assert/strict';
import { it } from 'node:test';
import { randn } from '../../ops/creation.js';
import { indexSelect } from '../../ops/indexing.js';
import { concat, slice } from '../../ops/shape.js';
import { Mask } from '../../tensor/mask.js';
import type { Tensor } from '../../tensor/tensor.js';
import { describeEachBackend } from '../../testing/backends.js';
import { assertClose } from '../../testing/gradcheck.js';
import { Generator } from '../../util/random.js';
import { TransformerDecoderLayer } from '../transformer/decoder-layer.js';
import { TransformerDecoder } from '../transformer/stacks.js';
import { appendToCache, attendCache, type KVCache, selectCacheRows } from './kv-cache.js';
import { MultiHeadAttention } from './multihead.js';

const TOL = 1e-5;

function rand(shape: number[], seed: number): Tensor {
  return randn(shape, { generator: new Generator(seed) });
}

/** Positions [start, end) of x [B, T, …] along axis 1. */
function steps(x: Tensor, start: number, end: number): Tensor {
  return slice(x, 1, start, end);
}

describeEachBackend('KV cache: incremental attention equals full recomputation', () => {
  it('MultiHeadAttention.forwardIncremental over blocks of 2, 1, 1, 1 new positions', () => {
    const mha = new MultiHeadAttention(8, 2, {}, { generator: new Generator(3) });
    const x = rand([2, 5, 8], 4);
    const full = mha.forward(x, x, x, { causal: true, averageWeights: false });
    let cache: KVCache | null = null;
    const contexts: Tensor[] = [];
    for (const [s, e] of [
      [0, 2],
      [2, 3],
      [3, 4],
      [4, 5],
    ]) {
      const r = mha.forwardIncremental(steps(x, s, e), cache, { averageWeights: false });
      cache = r.cache;
      contexts.push(r.context);
      assert.deepEqual([...r.cache.key.shape], [2, 2, e, 4]);
      assert.ok(r.weights !== null);
      // weights [B, H, tNew, e] are rows s..e of the full weights, cut to the keys seen so far.
      assertClose(r.weights, slice(slice(full.weights, 2, s, e), 3, 0, e), TOL, TOL, 'weights');
    }
    assertClose(concat(contexts, 1), full.context, TOL, TOL, 'context');
  });

  it('cross-attention over a memory projected once equals forward', () => {
    const mha = new MultiHeadAttention(8, 2, {}, { generator: new Generator(5) });
    const q = rand([2, 3, 8], 6);
    const mem = rand([2, 4, 8], 7);
    const kpm = Mask.from([
      [false, false, true, true],
      [false, false, false, false],
    ]);
    const full = mha.forward(q, mem, mem, { keyPaddingMask: kpm });
    const cached = mha.forwardCached(q, mha.projectMemory(mem), { keyPaddingMask: kpm });
    assertClose(cached.context, full.context, TOL, TOL, 'context');
    assert.ok(cached.weights !== null);
    assertClose(cached.weights, full.weights, TOL, TOL, 'weights');
  });

  it('the separate-projection layout (kdim ≠ embedDim) caches the memory too', () => {
    const mha = new MultiHeadAttention(8, 2, { kdim: 6, vdim: 5 }, { generator: new Generator(8) });
    const q = rand([1, 2, 8], 9);
    const k = rand([1, 3, 6], 10);
    const v = rand([1, 3, 5], 11);
    const full = mha.forward(q, k, v);
    assertClose(mha.forwardCached(q, mha.projectMemory(k, v)).context, full.context, TOL, TOL, 'context');
    assert.throws(() => mha.forwardIncremental(q, null), /self-attention needs kdim = vdim = 8/);
  });

  for (const normFirst of [false, true]) {
    it(`TransformerDecoderLayer (${normFirst ? 'pre' : 'post'}-norm) one token at a time`, () => {
      const layer = new TransformerDecoderLayer(
        8,
        2,
        { dimFeedforward: 16, dropout: 0, normFirst },
        { generator: new Generator(12) },
      );
      const tgt = rand([2, 4, 8], 13);
      const mem = rand([2, 3, 8], 14);
      const kpm = Mask.from([
        [false, false, true],
        [false, false, false],
      ]);
      const full = layer.forward(tgt, mem, { causal: true, memoryKeyPaddingMask: kpm });
      let cache = layer.initCache(mem);
      for (let t = 0; t < 4; t++) {
        const r = layer.forwardIncremental(steps(tgt, t, t + 1), cache, { memoryKeyPaddingMask: kpm });
        cache = r.cache;
        assertClose(r.output, steps(full.output, t, t + 1), TOL, TOL, `output at ${t}`);
        assert.ok(r.crossWeights !== null);
        assertClose(r.crossWeights, slice(full.crossWeights, 2, t, t + 1), TOL, TOL, `cross weights at ${t}`);
      }
    });
  }

  it('TransformerDecoder stack with beam-style row reordering (selectRows) midway', () => {
    const dec = new TransformerDecoder(
      8,
      { numLayers: 2, nhead: 2, dimFeedforward: 16, dropout: 0, normFirst: true },
      { generator: new Generator(15) },
    );
    const tgt = rand([3, 5, 8], 16);
    const mem = rand([3, 4, 8], 17);
    // After two steps the rows become [2, 0, 0] (one hypothesis dropped, one repeated).
    const rows = Int32Array.from([2, 0, 0]);
    const tgtAfter = indexSelect(tgt, 0, rows);
    const full = dec.forward(tgtAfter, indexSelect(mem, 0, rows), { causal: true });
    let caches = dec.initCache(mem);
    const outputs: Tensor[] = [];
    for (let t = 0; t < 5; t++) {
      if (t === 2) {
        caches = caches.map((c) => ({
          self: c.self === null ? null : selectCacheRows(c.self, rows),
          cross: selectCacheRows(c.cross, rows),
        }));
        outputs.forEach((o, i) => {
          outputs[i] = indexSelect(o, 0, rows);
        });
      }
      const r = dec.forwardIncremental(steps(t < 2 ? tgt : tgtAfter, t, t + 1), caches, {
        needWeights: false,
      });
      assert.equal(r.selfWeights[0], null);
      caches = r.caches;
      outputs.push(r.output);
    }
    assertClose(concat(outputs, 1), full.output, TOL, TOL, 'output');
  });

  it('appendToCache and attendCache check their shapes', () => {
    const k = rand([1, 2, 3, 4], 18);
    assert.throws(
      () => appendToCache({ key: k, value: k }, rand([1, 3, 1, 4], 19), rand([1, 3, 1, 4], 20)),
      /appendToCache/,
    );
    assert.throws(
      () => attendCache(rand([1, 2, 4, 4], 21), { key: k, value: k }),
      /tNew ≤ the 3 cached positions/,
    );
  });
});
