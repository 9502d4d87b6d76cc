import assert from 'node:assert/strict';
import { it } from 'node:test';
import { nativeInfo, setNativeThreads } from '../backend/native/index.js';
import { getBackend, withBackend } from '../backend/registry.js';
import { MultiHeadAttention } from '../nn/attention/multihead.js';
import { scaledDotProductAttention } from '../nn/attention/sdpa.js';
import { Mask } from '../tensor/mask.js';
import type { Tensor } from '../tensor/tensor.js';
import { describeEachBackend } from '../testing/backends.js';
import { assertClose, checkOp, type OpFn, randomTensor, valueAndGrads } from '../testing/gradcheck.js';
import { Generator } from '../util/random.js';
import { fromArray } from './creation.js';
import { setKeptWeightsLimit } from './flash-attention.js';
import { flashAttentionHeads, flashSelfAttentionPacked } from './flash-attention-heads.js';
import { permute, reshape, split } from './shape.js';

/**
 * The heads-in-place ops against their reference: split the heads (reshape + permute), run the
 * composed scaledDotProductAttention, merge them back. On js in float64 to 1e-10; on native in
 * float32 against the float64 js reference.
 */

interface Case {
  batch: number;
  heads: number;
  tq: number;
  tk: number;
  d: number;
  dv: number;
  causal?: boolean;
  /** Broadcasts against the scores [B, H, Tq, Tk]. */
  mask?: Mask;
  scale?: number;
}

/** x [B, T, H·w] → [B, H, T, w]. */
function splitHeads(x: Tensor, heads: number): Tensor {
  const [b, t, e] = x.shape;
  return permute(reshape(x, [b, t, heads, e / heads]), [0, 2, 1, 3]);
}

/** [B, H, T, w] → [B, T, H·w]. */
function mergeHeads(x: Tensor): Tensor {
  const [b, h, t, w] = x.shape;
  return reshape(permute(x, [0, 2, 1, 3]), [b, t, h * w]);
}

const reference =
  (c: Case): OpFn =>
  (q, k, v) =>
    mergeHeads(
      scaledDotProductAttention(splitHeads(q, c.heads), splitHeads(k, c.heads), splitHeads(v, c.heads), {
        causal: c.causal,
        mask: c.mask,
        scale: c.scale,
      }).context,
    );
const heads =
  (c: Case): OpFn =>
  (q, k, v) =>
    flashAttentionHeads(q, k, v, c.heads, { causal: c.causal, mask: c.mask, scale: c.scale });
/** The packed op over [q | k | v] joined on the last axis (needs Tq = Tk and d = dv). */
const packed =
  (c: Case): OpFn =>
  (qkv) =>
    flashSelfAttentionPacked(qkv, c.heads, { causal: c.causal, mask: c.mask, scale: c.scale });
const packedReference =
  (c: Case): OpFn =>
  (qkv) => {
    const [q, k, v] = split(qkv, qkv.shape[2] / 3, -1);
    return reference(c)(q, k, v);
  };

function inputs(c: Case, seed: number): Tensor[] {
  return [
    randomTensor([c.batch, c.tq, c.heads * c.d], seed, -2, 2),
    randomTensor([c.batch, c.tk, c.heads * c.d], seed + 1, -2, 2),
    randomTensor([c.batch, c.tk, c.heads * c.dv], seed + 2, -2, 2),
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

/**
 * `fn` equals `ref` forward and backward (see the file comment for the tolerances), with the
 * fused backward recomputing the weights and with it reading kept ones.
 */
function assertEqualsReference(
  backend: string,
  what: string,
  fn: OpFn,
  ref: OpFn,
  xs: readonly Tensor[],
): void {
  for (const limit of [0, 1 << 30]) {
    const previous = setKeptWeightsLimit(limit);
    try {
      assertEqualsReferenceOnce(
        backend,
        `${what} (${limit === 0 ? 'recomputed' : 'kept'} weights)`,
        fn,
        ref,
        xs,
      );
    } finally {
      setKeptWeightsLimit(previous);
    }
  }
}

function assertEqualsReferenceOnce(
  backend: string,
  what: string,
  fn: OpFn,
  ref: OpFn,
  xs: readonly Tensor[],
): void {
  const native = backend === 'native';
  const want = withBackend('js', () => valueAndGrads(ref, xs, 'float64'));
  const got = valueAndGrads(fn, xs, native ? 'float32' : 'float64');
  const [atol, rtol] = native ? [1e-5, 1e-4] : [1e-10, 1e-10];
  assertClose(got.out, want.out, atol, rtol, `${what}: output`);
  want.grads.forEach((r, i) => {
    const g = got.grads[i];
    assert.equal(g === null, r === null, `${what}: gradient ${i} present on one side only`);
    if (g !== null && r !== null) assertClose(g, r, atol, rtol, `${what}: gradient of input ${i}`);
  });
}

describeEachBackend('flashAttentionHeads and flashSelfAttentionPacked', (backend) => {
  const cases: [string, Case][] = [
    ['one head', { batch: 2, heads: 1, tq: 5, tk: 5, d: 8, dv: 8 }],
    ['4 heads', { batch: 2, heads: 4, tq: 7, tk: 7, d: 8, dv: 8 }],
    ['T = 1, causal', { batch: 3, heads: 2, tq: 1, tk: 1, d: 4, dv: 4, causal: true }],
    ['causal, T 70 (two query tiles)', { batch: 2, heads: 3, tq: 70, tk: 70, d: 16, dv: 16, causal: true }],
    ['cross: Tq ≠ Tk, dv ≠ d', { batch: 2, heads: 2, tq: 9, tk: 33, d: 8, dv: 12 }],
    ['explicit scale', { batch: 1, heads: 2, tq: 6, tk: 6, d: 4, dv: 4, scale: 0.3 }],
    [
      'key padding [B, 1, 1, Tk]',
      { batch: 2, heads: 2, tq: 6, tk: 6, d: 4, dv: 4, mask: randomMask([2, 1, 1, 6], 1) },
    ],
    [
      '[Tq, Tk] mask, causal',
      { batch: 2, heads: 2, tq: 6, tk: 6, d: 4, dv: 4, mask: randomMask([6, 6], 2), causal: true },
    ],
    [
      '[B, H, Tq, Tk] mask',
      { batch: 2, heads: 3, tq: 5, tk: 5, d: 4, dv: 4, mask: randomMask([2, 3, 5, 5], 3) },
    ],
  ];
  for (const [name, c] of cases) {
    it(`flashAttentionHeads equals split + composed attention + merge: ${name}`, () => {
      assertEqualsReference(backend, name, heads(c), reference(c), inputs(c, 11));
    });
    if (c.tq === c.tk && c.d === c.dv) {
      it(`flashSelfAttentionPacked equals split + composed attention + merge: ${name}`, () => {
        const qkv = randomTensor([c.batch, c.tq, 3 * c.heads * c.d], 12, -2, 2);
        assertEqualsReference(backend, name, packed(c), packedReference(c), [qkv]);
      });
    }
  }

  it('a query with every key masked gets a zero output and no NaN', () => {
    const c: Case = { batch: 2, heads: 2, tq: 4, tk: 4, d: 4, dv: 4 };
    const data = new Uint8Array(2 * 4).fill(1);
    data.fill(0, 4, 8); // batch 1: every key is padding
    const mask = new Mask(data, [2, 1, 1, 4]);
    assertEqualsReference(
      backend,
      'fully masked',
      heads({ ...c, mask }),
      reference({ ...c, mask }),
      inputs(c, 13),
    );
    const out = flashAttentionHeads(...(inputs(c, 14) as [Tensor, Tensor, Tensor]), 2, { mask });
    assert.ok(out.data.subarray(4 * 8).every((x) => x === 0)); // batch 1 of [2, 4, 8]
  });

  it('finite-difference gradients (js) and native float32 against the js float64 reference', () => {
    const c: Case = {
      batch: 2,
      heads: 2,
      tq: 3,
      tk: 4,
      d: 2,
      dv: 3,
      causal: true,
      mask: randomMask([2, 1, 1, 4], 4),
    };
    checkOp(backend, heads(c), inputs(c, 21));
    const s: Case = { batch: 2, heads: 2, tq: 3, tk: 3, d: 2, dv: 2, causal: true };
    checkOp(backend, packed(s), [randomTensor([2, 3, 12], 22)]);
  });

  if (backend === 'native') {
    it('native: every thread count gives the same result (whole heads or shared key blocks)', () => {
      const c: Case = { batch: 3, heads: 1, tq: 70, tk: 130, d: 16, dv: 8, causal: true };
      const previous = nativeInfo().threads;
      try {
        for (const threads of [1, 2, 3]) {
          setNativeThreads(threads);
          assertEqualsReference(backend, `${threads} threads`, heads(c), reference(c), inputs(c, 31));
          const s = { ...c, tk: 70, dv: 16 };
          assertEqualsReference(backend, `${threads} threads, packed`, packed(s), packedReference(s), [
            randomTensor([3, 70, 48], 32, -2, 2),
          ]);
        }
      } finally {
        setNativeThreads(previous);
      }
    });

    it('native: a head layout reaching past an array throws instead of reading out of bounds', () => {
      const be = getBackend();
      const q = new Float32Array(2 * 3 * 8); // [B 2, T 3, 2 heads × d 4]
      const layout = {
        heads: 2,
        q: { offset: 0, strideB: 24, strideH: 4, strideT: 8 },
        k: { offset: 0, strideB: 24, strideH: 4, strideT: 8 },
        v: { offset: 1, strideB: 24, strideH: 4, strideT: 8 },
        out: { offset: 0, strideB: 24, strideH: 4, strideT: 8 },
      };
      const p = {
        bh: 4,
        tq: 3,
        tk: 3,
        d: 4,
        dv: 4,
        scale: 1,
        causal: false,
        q,
        k: q,
        v: q,
        mask: null,
        layout,
      };
      assert.throws(() => be.attentionForward(p, new Float32Array(48), new Float32Array(12)), /'v' needs 49/);
      assert.throws(
        () =>
          be.attentionForward(
            { ...p, layout: { ...layout, heads: 3 } },
            new Float32Array(48),
            new Float32Array(12),
          ),
        /not a multiple of heads/,
      );
    });
  }

  it('MultiHeadAttention without weights runs these ops and equals its weights path, gradients included', () => {
    const run =
      (mha: MultiHeadAttention, needWeights: boolean, cross: boolean, mask?: Mask): OpFn =>
      (x, y) =>
        mha.forward(x, cross ? y : x, cross ? y : x, { needWeights, causal: !cross, keyPaddingMask: mask })
          .context;
    for (const [cross, kdim] of [
      [false, 8],
      [true, 8],
      [true, 6],
    ] as [boolean, number][]) {
      const mha = new MultiHeadAttention(8, 2, { kdim, vdim: kdim }, { generator: new Generator(5) });
      const x = randomTensor([2, 5, 8], 41);
      const y = randomTensor([2, 5, kdim], 42);
      const pad = Mask.from([
        [1, 1, 1, 0, 0],
        [1, 1, 1, 1, 1],
      ]).not();
      for (const mask of [undefined, pad]) {
        const fast = run(mha, false, cross, mask);
        const xs = [x, y];
        const op = fast(...xs.map((t) => fromArray(t.data, t.shape, { requiresGrad: true }))).gradFn;
        assert.equal(op?.name, 'linear'); // the output projection, over the fused op
        const inner = op?.inputs[0].gradFn?.name;
        assert.equal(inner, !cross ? 'flashSelfAttentionPacked' : 'flashAttentionHeads');
        assertEqualsReference(
          backend,
          `MHA cross=${cross} kdim=${kdim} mask=${mask !== undefined}`,
          fast,
          run(mha, true, cross, mask),
          xs,
        );
      }
    }
  });
});
