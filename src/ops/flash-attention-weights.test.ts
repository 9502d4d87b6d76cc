import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { AttentionParams } from '../backend/backend.js';
import { nativeInfo, setNativeThreads } from '../backend/native/index.js';
import { getBackend, withBackend } from '../backend/registry.js';
import { composedAttention } from '../nn/attention/sdpa.js';
import { Mask } from '../tensor/mask.js';
import { setUninitPoison, type Tensor } from '../tensor/tensor.js';
import { describeEachBackend } from '../testing/backends.js';
import { assertClose, checkOp, type OpFn, randomTensor, valueAndGrads } from '../testing/gradcheck.js';
import { Generator } from '../util/random.js';
import { fromArray } from './creation.js';
import { flashAttentionWithWeights } from './flash-attention.js';
import { concat, reshape } from './shape.js';

/**
 * flashAttentionWithWeights against the composed attention it replaces (composedAttention:
 * matmul, scale, mask, softmax, matmul), on the context and the weights, with gradients reaching
 * either or both. On js in float64 to 1e-10; on native in float32 against the float64 js
 * composition.
 */

interface Case {
  batch: number[];
  tq: number;
  tk: number;
  d: number;
  dv: number;
  causal?: boolean;
  mask?: Mask;
  scale?: number;
  /** Leading axes of k and v when they differ from q's (broadcast). */
  kvBatch?: number[];
}

type Pick = 'both' | 'context' | 'weights';

function outputs(r: { context: Tensor; weights: Tensor }, pick: Pick): Tensor {
  const parts = pick === 'both' ? [r.context, r.weights] : pick === 'context' ? [r.context] : [r.weights];
  return concat(
    parts.map((t) => reshape(t, [-1])),
    0,
  );
}

const fused =
  (c: Case, pick: Pick = 'both'): OpFn =>
  (q, k, v) =>
    outputs(flashAttentionWithWeights(q, k, v, { causal: c.causal, mask: c.mask, scale: c.scale }), pick);
const composed =
  (c: Case, pick: Pick = 'both'): OpFn =>
  (q, k, v) =>
    outputs(composedAttention(q, k, v, { causal: c.causal, mask: c.mask, scale: c.scale }), pick);

function inputs(c: Case, seed: number): Tensor[] {
  const kv = c.kvBatch ?? c.batch;
  return [
    randomTensor([...c.batch, c.tq, c.d], seed, -2, 2),
    randomTensor([...kv, c.tk, c.d], seed + 1, -2, 2),
    randomTensor([...kv, c.tk, c.dv], seed + 2, -2, 2),
  ];
}

function randomMask(shape: number[], seed: number): Mask {
  const gen = new Generator(seed);
  const n = shape.reduce((p, v) => p * v, 1);
  return new Mask(
    Uint8Array.from({ length: n }, () => (gen.uniform() < 0.75 ? 1 : 0)),
    shape,
  );
}

function assertEqualsComposed(
  backend: string,
  what: string,
  c: Case,
  seed: number,
  pick: Pick = 'both',
): void {
  const xs = inputs(c, seed);
  const native = backend === 'native';
  const want = withBackend('js', () => valueAndGrads(composed(c, pick), xs, 'float64'));
  const got = valueAndGrads(fused(c, pick), xs, native ? 'float32' : 'float64');
  const [atol, rtol] = native ? [1e-5, 1e-4] : [1e-10, 1e-10];
  assertClose(got.out, want.out, atol, rtol, `${what}: outputs`);
  want.grads.forEach((r, i) => {
    const g = got.grads[i];
    assert.ok(g !== null, `${what}: gradient ${i} present`);
    if (r === null) {
      // The composition never reaches v when only the weights carry a gradient: zeros here.
      assert.ok(
        g.data.every((x) => x === 0),
        `${what}: gradient ${i} is zero`,
      );
      return;
    }
    for (let j = 0; j < g.size; j++)
      assert.ok(Number.isFinite(g.data[j]), `${what}: gradient ${i}[${j}] = ${g.data[j]}`);
    assertClose(g, r, atol, rtol, `${what}: gradient of input ${i}`);
  });
}

describeEachBackend('flashAttentionWithWeights', (backend) => {
  const cases: [string, Case][] = [
    ['plain [2, 3] heads', { batch: [2, 3], tq: 7, tk: 7, d: 8, dv: 8 }],
    ['T = 1, causal', { batch: [2], tq: 1, tk: 1, d: 8, dv: 8, causal: true }],
    ['one query, 70 keys (two key tiles)', { batch: [3], tq: 1, tk: 70, d: 16, dv: 16 }],
    [
      'causal T = 75 (two query blocks, partial tiles)',
      { batch: [2], tq: 75, tk: 75, d: 16, dv: 16, causal: true },
    ],
    ['causal Tq < Tk', { batch: [2], tq: 7, tk: 130, d: 8, dv: 8, causal: true }],
    ['causal Tq > Tk', { batch: [2], tq: 80, tk: 33, d: 8, dv: 8, causal: true }],
    ['Tq ≠ Tk, Dv ≠ D, explicit scale', { batch: [2], tq: 33, tk: 140, d: 16, dv: 24, scale: 0.3 }],
    ['shared keys and values (broadcast batch)', { batch: [3], kvBatch: [1], tq: 7, tk: 33, d: 8, dv: 8 }],
    ['key padding mask', { batch: [2, 2], tq: 9, tk: 130, d: 8, dv: 8, mask: randomMask([2, 1, 1, 130], 1) }],
    // More than 256 keys: the kernels built with 64 × 64 tiles (native/attention.c).
    ['long: causal, Tq < Tk', { batch: [2], tq: 70, tk: 270, d: 8, dv: 8, causal: true }],
    [
      '[Tq, Tk] mask, causal',
      { batch: [2, 2], tq: 9, tk: 9, d: 8, dv: 8, mask: randomMask([9, 9], 2), causal: true },
    ],
    [
      '[B, H, Tq, Tk] mask',
      { batch: [2, 2], tq: 9, tk: 70, d: 8, dv: 8, mask: randomMask([2, 2, 9, 70], 3) },
    ],
  ];
  for (const [name, c] of cases) {
    it(`equals the composed attention, context and weights, forward and backward: ${name}`, () => {
      // Outputs allocated unfilled start as NaN: every weight (0 where blocked) must be written.
      const previous = setUninitPoison(true);
      try {
        assertEqualsComposed(backend, name, c, 11);
      } finally {
        setUninitPoison(previous);
      }
    });
  }

  it('a gradient on the context only or on the weights only', () => {
    const c: Case = {
      batch: [2, 2],
      tq: 9,
      tk: 70,
      d: 8,
      dv: 4,
      causal: true,
      mask: randomMask([2, 1, 1, 70], 4),
    };
    assertEqualsComposed(backend, 'context only', c, 21, 'context');
    assertEqualsComposed(backend, 'weights only', c, 22, 'weights');
  });

  it('a query with every key masked: zero weights and context, finite zero gradients', () => {
    const [b, tq, tk] = [2, 5, 70];
    const data = randomMask([b, tq, tk], 5).data;
    data.fill(0, 1 * tk, 2 * tk); // batch 0, query 1: nothing allowed
    data.fill(0, tq * tk, 2 * tq * tk); // batch 1: no query sees anything
    const c: Case = { batch: [b], tq, tk, d: 8, dv: 8, mask: new Mask(data, [b, tq, tk]) };
    assertEqualsComposed(backend, 'fully masked rows', c, 31);
    assertEqualsComposed(backend, 'fully masked rows, causal', { ...c, causal: true }, 32);
    const [q, k, v] = inputs(c, 33).map((t) => fromArray(t.data, t.shape));
    const r = flashAttentionWithWeights(q, k, v, { mask: c.mask });
    assert.ok(r.weights.data.subarray(tk, 2 * tk).every((x) => x === 0));
    assert.ok(r.weights.data.subarray(tq * tk).every((x) => x === 0));
    assert.ok(r.context.data.subarray(tq * 8).every((x) => x === 0));
  });

  it('the weights of each row sum to 1', () => {
    const c: Case = { batch: [3], tq: 20, tk: 150, d: 16, dv: 16, causal: true };
    const [q, k, v] = inputs(c, 41).map((t) => fromArray(t.data, t.shape));
    const { weights } = flashAttentionWithWeights(q, k, v, { causal: true });
    for (let row = 0; row < 3 * 20; row++) {
      let s = 0;
      for (let j = 0; j < 150; j++) s += weights.data[row * 150 + j];
      assert.ok(Math.abs(s - 1) < 1e-5, `row ${row} sums to ${s}`);
    }
  });

  it('gradients by finite differences (js, float64) and native float32 against the js float64 reference', () => {
    const c: Case = { batch: [2], tq: 3, tk: 5, d: 4, dv: 3, mask: randomMask([2, 1, 5], 6) };
    checkOp(backend, fused(c), inputs(c, 51));
    checkOp(backend, fused({ ...c, causal: true, mask: undefined, scale: 0.7 }), inputs(c, 52));
    checkOp(backend, fused(c, 'weights'), inputs(c, 53));
  });

  if (backend === 'native') {
    it('native: every thread count gives the same result', () => {
      const c: Case = {
        batch: [3],
        tq: 130,
        tk: 257,
        d: 32,
        dv: 16,
        causal: true,
        mask: randomMask([3, 1, 257], 7),
      };
      const previous = nativeInfo().threads;
      try {
        for (const threads of [1, 2, 3]) {
          setNativeThreads(threads);
          assertEqualsComposed(backend, `${threads} threads, BH 3`, c, 61);
          assertEqualsComposed(
            backend,
            `${threads} threads, BH 4`,
            { ...c, batch: [4], mask: undefined },
            62,
          );
        }
      } finally {
        setNativeThreads(previous);
      }
    });

    it('native: short weights arrays and gradWeights without weights throw', () => {
      const p: AttentionParams = {
        bh: 2,
        tq: 3,
        tk: 4,
        d: 2,
        dv: 2,
        scale: 1,
        causal: false,
        q: new Float32Array(12),
        k: new Float32Array(16),
        v: new Float32Array(16),
        mask: null,
      };
      const be = getBackend();
      assert.throws(
        () => be.attentionForward(p, new Float32Array(12), new Float32Array(6), new Float32Array(23)),
        /attentionForward: 'weights' needs 24/,
      );
      const g = new Float32Array(12);
      const grads = (): [Float32Array, Float32Array, Float32Array] => [
        new Float32Array(12),
        new Float32Array(16),
        new Float32Array(16),
      ];
      assert.throws(
        () => be.attentionBackward(p, g, new Float32Array(6), g, ...grads(), null, new Float32Array(24)),
        /'gradWeights' needs 'weights'/,
      );
      assert.throws(
        () =>
          be.attentionBackward(
            p,
            g,
            new Float32Array(6),
            g,
            ...grads(),
            new Float32Array(24),
            new Float32Array(20),
          ),
        /'gradWeights' needs 24/,
      );
    });
  }
});
