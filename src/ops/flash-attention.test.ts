import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { AttentionParams } from '../backend/backend.js';
import { nativeInfo, setNativeThreads } from '../backend/native/index.js';
import { getBackend } from '../backend/registry.js';
import { causalMask } from '../nn/attention/masking.js';
import { scaledDotProductAttention } from '../nn/attention/sdpa.js';
import { Mask } from '../tensor/mask.js';
import type { Tensor } from '../tensor/tensor.js';
import { describeEachBackend } from '../testing/backends.js';
import {
  agreesWithReference,
  assertClose,
  checkOp,
  randomTensor,
  valueAndGrads,
} from '../testing/gradcheck.js';
import { Generator } from '../util/random.js';
import { fromArray } from './creation.js';
import { flashAttention, setKeptWeightsLimit } from './flash-attention.js';
import { sum } from './reduce.js';
import { slice } from './shape.js';

interface Case {
  /** Leading (head) axes of q, k and v, e.g. [B, H]. */
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

/** A random boolean mask of `shape` (about 1 in 4 entries blocked). */
function randomMask(shape: number[], seed: number): Mask {
  const gen = new Generator(seed);
  const n = shape.reduce((p, v) => p * v, 1);
  return new Mask(
    Uint8Array.from({ length: n }, () => (gen.uniform() < 0.75 ? 1 : 0)),
    shape,
  );
}

function inputs(c: Case, seed: number): Tensor[] {
  const kv = c.kvBatch ?? c.batch;
  return [
    randomTensor([...c.batch, c.tq, c.d], seed, -2, 2),
    randomTensor([...kv, c.tk, c.d], seed + 1, -2, 2),
    randomTensor([...kv, c.tk, c.dv], seed + 2, -2, 2),
  ];
}

const composed = (c: Case) => (q: Tensor, k: Tensor, v: Tensor) =>
  scaledDotProductAttention(q, k, v, { causal: c.causal, mask: c.mask, scale: c.scale }).context;
const fused = (c: Case) => (q: Tensor, k: Tensor, v: Tensor) =>
  flashAttention(q, k, v, { causal: c.causal, mask: c.mask, scale: c.scale });

function assertFinite(t: Tensor | null, what: string): void {
  assert.ok(t !== null, `${what} is missing`);
  for (let i = 0; i < t.size; i++) assert.ok(Number.isFinite(t.data[i]), `${what}[${i}] = ${t.data[i]}`);
}

/** Runs `fn` with the backward recomputing the weights (none kept), then reading kept ones. */
function bothBackwards(fn: (how: string) => void): void {
  for (const limit of [0, 1 << 30]) {
    const previous = setKeptWeightsLimit(limit);
    try {
      fn(limit === 0 ? 'weights recomputed' : 'weights kept');
    } finally {
      setKeptWeightsLimit(previous);
    }
  }
}

/**
 * The fused op equals the composed reference in float32, forward and backward (dq, dk, dv),
 * with the backward recomputing the weights and with it reading kept ones.
 */
function fusedEqualsComposed(name: string, c: Case, seed: number): void {
  bothBackwards((how) => fusedEqualsComposedOnce(`${name} (${how})`, c, seed));
}

function fusedEqualsComposedOnce(name: string, c: Case, seed: number): void {
  const xs = inputs(c, seed);
  const ref = valueAndGrads(composed(c), xs, 'float32', seed);
  const got = valueAndGrads(fused(c), xs, 'float32', seed);
  assertClose(got.out, ref.out, 1e-5, 1e-4, `${name}: output`);
  ['dq', 'dk', 'dv'].forEach((g, i) => {
    const r = ref.grads[i];
    assert.ok(r !== null);
    assertFinite(got.grads[i], `${name}: ${g}`);
    assertClose(got.grads[i] ?? r, r, 1e-5, 1e-4, `${name}: ${g}`);
  });
}

describeEachBackend('flashAttention', (backend) => {
  const cases: [string, Case][] = [
    ['plain [2, 3] heads', { batch: [2, 3], tq: 7, tk: 7, d: 8, dv: 8 }],
    ['T = 1', { batch: [2], tq: 1, tk: 1, d: 8, dv: 8 }],
    ['T = 1, causal', { batch: [2], tq: 1, tk: 1, d: 8, dv: 8, causal: true }],
    ['one query, 33 keys', { batch: [3], tq: 1, tk: 33, d: 16, dv: 16 }],
    ['causal T = 33', { batch: [2, 2], tq: 33, tk: 33, d: 16, dv: 16, causal: true }],
    ['causal Tq < Tk', { batch: [2], tq: 7, tk: 33, d: 8, dv: 8, causal: true }],
    [
      'causal Tq > Tk (later queries see every key)',
      { batch: [2], tq: 65, tk: 33, d: 8, dv: 8, causal: true },
    ],
    ['Tq ≠ Tk, Dv ≠ D', { batch: [2], tq: 130, tk: 65, d: 16, dv: 24 }],
    ['explicit scale, Dv < D', { batch: [3], tq: 33, tk: 7, d: 64, dv: 8, scale: 0.3 }],
    ['shared keys and values (broadcast batch)', { batch: [3], kvBatch: [1], tq: 7, tk: 33, d: 8, dv: 8 }],
    // Up to 64 keys with heads of up to 32 values: native's whole-head kernels
    // (attention_short.c) on AVX-512; widths past 16 use the second vector of each row.
    ['short: causal T = 64, heads of 32', { batch: [2, 3], tq: 64, tk: 64, d: 32, dv: 32, causal: true }],
    [
      'short: causal Tq 50 < Tk 64, D 24, Dv 20, key padding mask',
      { batch: [2, 2], tq: 50, tk: 64, d: 24, dv: 20, causal: true, mask: randomMask([2, 1, 1, 64], 12) },
    ],
    [
      'short: Tq 70 > Tk 40, D 17, Dv 31, [Tq, Tk] mask',
      { batch: [3], tq: 70, tk: 40, d: 17, dv: 31, mask: randomMask([70, 40], 13) },
    ],
    ['short: D = Dv = 1, causal Tq 9 > Tk 5', { batch: [2], tq: 9, tk: 5, d: 1, dv: 1, causal: true }],
    // More than 256 keys: the kernels built with 64 × 64 tiles (native/attention.c).
    ['long: causal T = 300', { batch: [2], tq: 300, tk: 300, d: 8, dv: 8, causal: true }],
    ['long: Tq ≠ Tk, Dv ≠ D', { batch: [1, 2], tq: 70, tk: 290, d: 16, dv: 8 }],
    [
      'long: key padding mask, causal',
      { batch: [2], tq: 260, tk: 260, d: 8, dv: 8, mask: randomMask([2, 1, 260], 9), causal: true },
    ],
  ];
  for (const [name, c] of cases) {
    it(`equals the composed attention forward and backward: ${name}`, () => fusedEqualsComposed(name, c, 11));
  }

  it('boolean masks of every layout equal the composed attention', () => {
    const [b, h, tq, tk] = [2, 3, 7, 33];
    const layouts: [string, Mask][] = [
      ['[Tq, Tk]', randomMask([tq, tk], 1)],
      ['[B, 1, 1, Tk] key padding', randomMask([b, 1, 1, tk], 2)],
      ['[B, 1, Tq, Tk]', randomMask([b, 1, tq, tk], 3)],
      ['[B, H, Tq, Tk]', randomMask([b, h, tq, tk], 4)],
      ['[H, 1, Tk] (broadcast over B)', randomMask([h, 1, tk], 5)],
      ['[B, H, Tq, 1] (broadcast over keys: expanded)', randomMask([b, h, tq, 1], 6)],
    ];
    for (const [what, mask] of layouts) {
      for (const causal of [false, true]) {
        fusedEqualsComposed(
          `mask ${what}${causal ? ', causal' : ''}`,
          { batch: [b, h], tq, tk, d: 8, dv: 8, mask, causal },
          12,
        );
      }
    }
    // Three head axes kept, broadcast, kept: not expressible as strides, so the mask is expanded.
    const mask = randomMask([2, 1, 2, tq, tk], 7);
    fusedEqualsComposed('mask [2, 1, 2, Tq, Tk]', { batch: [2, 3, 2], tq, tk, d: 8, dv: 8, mask }, 13);
  });

  it('a query with every key masked: zero output, zero and finite gradients, never NaN', () => {
    const [b, h, tq, tk] = [2, 2, 5, 70];
    const data = randomMask([b, 1, tq, tk], 8).data;
    data.fill(0, 1 * tk, 2 * tk); // batch 0, query 1: nothing allowed
    data.fill(0, tq * tk, 2 * tq * tk); // batch 1: no query sees anything
    const mask = new Mask(data, [b, 1, tq, tk]);
    const c: Case = { batch: [b, h], tq, tk, d: 16, dv: 8, mask };
    fusedEqualsComposed('fully masked rows', c, 14);
    fusedEqualsComposed('fully masked rows, causal', { ...c, causal: true }, 14);
    const [q, k, v] = inputs(c, 15).map((t) => fromArray(t.data, t.shape, { requiresGrad: true }));
    const out = flashAttention(q, k, v, { mask });
    out.backward(fromArray(randomTensor(out.shape, 16).data, out.shape));
    const row = (t: Tensor, bi: number, hi: number, i: number): number[] => {
      const cols = t.shape[3];
      const at = ((bi * h + hi) * t.shape[2] + i) * cols;
      return [...t.data.subarray(at, at + cols)];
    };
    for (let hi = 0; hi < h; hi++) {
      assert.ok(
        row(out, 0, hi, 1).every((x) => x === 0),
        'masked row output',
      );
      assert.ok(q.grad && row(q.grad, 0, hi, 1).every((x) => x === 0), 'masked row dq');
    }
    assert.ok(slice(out, 0, 1, 2).data.every((x) => x === 0));
    for (const t of [q, k, v]) assertFinite(t.grad, 'gradient');
    // Keys nobody may see get no gradient: all of batch 1's.
    assert.ok(k.grad && slice(k.grad, 0, 1, 2).data.every((x) => x === 0));
    assert.ok(v.grad && slice(v.grad, 0, 1, 2).data.every((x) => x === 0));
  });

  it('the kernel writes the row log-sum-exp, −∞ for a row with no allowed key', () => {
    const [tq, tk, d] = [3, 4, 2];
    const q = [0.1, 0.2, -0.3, 0.4, 0.5, -0.6];
    const k = [1, 0, 0, 1, -1, 0.5, 0.25, -2];
    const mask = Uint8Array.from([1, 1, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1]);
    const arr = (x: number[]): Float32Array => Float32Array.from(x);
    const p: AttentionParams = {
      bh: 1,
      tq,
      tk,
      d,
      dv: 1,
      scale: 0.5,
      causal: false,
      q: arr(q),
      k: arr(k),
      v: arr([1, 2, 3, 4]),
      mask: { data: mask, heads: 1, strideB: 0, strideH: 0, strideQ: tk },
    };
    const out = new Float32Array(tq);
    const lse = new Float32Array(tq);
    getBackend().attentionForward(p, out, lse);
    for (let i = 0; i < tq; i++) {
      const s: number[] = [];
      for (let j = 0; j < tk; j++) {
        if (mask[i * tk + j]) s.push(0.5 * (q[2 * i] * k[2 * j] + q[2 * i + 1] * k[2 * j + 1]));
      }
      const expected =
        s.length === 0 ? Number.NEGATIVE_INFINITY : Math.log(s.reduce((t, x) => t + Math.exp(x), 0));
      if (s.length === 0) assert.equal(lse[i], expected);
      else assert.ok(Math.abs(lse[i] - expected) < 1e-6, `lse[${i}] = ${lse[i]}, expected ${expected}`);
    }
    assert.equal(out[1], 0);
  });

  it('short sequences: queries with no allowed key get zero output and gradients', () => {
    const [b, tq, tk] = [2, 20, 48];
    const data = randomMask([b, tq, tk], 14).data;
    data.fill(0, 3 * tk, 4 * tk); // batch 0, query 3: nothing allowed
    data.fill(0, (tq + 9) * tk, (tq + 17) * tk); // batch 1, queries 9–16: one whole panel of 8
    const mask = new Mask(data, [b, tq, tk]);
    const c: Case = { batch: [b], tq, tk, d: 32, dv: 32, mask };
    fusedEqualsComposed('dead rows', c, 15);
    fusedEqualsComposed('dead rows, causal', { ...c, causal: true }, 16);
    const [q, k, v] = inputs(c, 17).map((t) => fromArray(t.data, t.shape, { requiresGrad: true }));
    const out = flashAttention(q, k, v, { mask });
    sum(out).backward();
    for (const row of [3, tq + 9, tq + 16]) {
      assert.ok(
        out.data.subarray(row * 32, (row + 1) * 32).every((x) => x === 0),
        `output row ${row}`,
      );
      assert.ok(
        q.grad?.data.subarray(row * 32, (row + 1) * 32).every((x) => x === 0),
        `dq row ${row}`,
      );
    }
  });

  it('gradients by finite differences (js, float64) and native float32 against the js float64 reference', () => {
    const c: Case = { batch: [2, 2], tq: 3, tk: 5, d: 4, dv: 3 };
    const mask = Mask.from([
      [[[1, 0, 1, 1, 0]], [[0, 0, 0, 0, 0]]],
      [[[1, 1, 1, 1, 1]], [[0, 1, 0, 0, 0]]],
    ]);
    bothBackwards(() => checkOp(backend, fused({ ...c, mask }), inputs(c, 20)));
    checkOp(backend, fused(c), inputs(c, 21));
    checkOp(backend, fused({ ...c, causal: true }), inputs(c, 22));
    checkOp(backend, fused({ ...c, mask, scale: 0.7 }), inputs(c, 23));
    checkOp(
      backend,
      fused({ ...c, tq: 6, tk: 4, causal: true, mask: causalMask(6, 4, 1) }),
      inputs({ ...c, tq: 6, tk: 4 }, 24),
    );
    checkOp(backend, fused({ ...c, kvBatch: [2, 1] }), inputs({ ...c, kvBatch: [2, 1] }, 25));
  });

  it('large problems cross tile boundaries on every thread split and agree with the float64 reference', () => {
    // BH = 1 and 3 share each head's key blocks between threads; BH = 4 gives whole heads.
    const big: [string, Case][] = [
      ['BH 1, T 130, causal', { batch: [1], tq: 130, tk: 130, d: 64, dv: 64, causal: true }],
      [
        'BH 3, Tq 65, Tk 130, masked',
        { batch: [3], tq: 65, tk: 130, d: 64, dv: 32, mask: randomMask([3, 1, 130], 9) },
      ],
      ['BH 4, T 130', { batch: [2, 2], tq: 130, tk: 130, d: 16, dv: 64 }],
      ['BH 2, Tq 200, Tk 70, causal', { batch: [2], tq: 200, tk: 70, d: 8, dv: 8, causal: true }],
    ];
    for (const [name, c] of big) {
      fusedEqualsComposed(name, c, 31);
      agreesWithReference(fused(c), inputs(c, 32));
    }
  });

  if (backend === 'native') {
    it('native: every thread count (whole heads or shared key blocks per thread) gives the same result', () => {
      const c: Case = {
        batch: [3],
        tq: 130,
        tk: 257,
        d: 64,
        dv: 64,
        causal: true,
        mask: randomMask([3, 1, 257], 10),
      };
      const previous = nativeInfo().threads;
      try {
        // Heads that share out evenly go whole to a thread (BH 3 on 1 or 3 threads, BH 4 on 2);
        // otherwise (BH 3 on 2 threads, BH 4 on 3) the threads share each head's key blocks.
        for (const threads of [1, 2, 3]) {
          setNativeThreads(threads);
          fusedEqualsComposed(`${threads} threads, BH 3`, c, 41);
          fusedEqualsComposed(`${threads} threads, BH 4`, { ...c, batch: [4], mask: undefined }, 42);
        }
      } finally {
        setNativeThreads(previous);
      }
    });

    it('native: arrays too short for the sizes throw instead of reading out of bounds', () => {
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
        () => be.attentionForward(p, new Float32Array(11), new Float32Array(6)),
        /attentionForward: 'out' needs 12/,
      );
      assert.throws(
        () =>
          be.attentionForward({ ...p, k: new Float32Array(15) }, new Float32Array(12), new Float32Array(6)),
        /'k' needs 16/,
      );
      const mask = { data: new Uint8Array(11), heads: 1, strideB: 0, strideH: 0, strideQ: 4 };
      assert.throws(
        () => be.attentionForward({ ...p, mask }, new Float32Array(12), new Float32Array(6)),
        /'mask' needs 12/,
      );
      assert.throws(
        () =>
          be.attentionForward(
            { ...p, mask: { ...mask, heads: 3 } },
            new Float32Array(12),
            new Float32Array(6),
          ),
        /not a multiple of maskHeads/,
      );
      const g = new Float32Array(12);
      assert.throws(
        () =>
          be.attentionBackward(
            p,
            g,
            new Float32Array(6),
            g,
            new Float32Array(12),
            new Float32Array(16),
            new Float32Array(15),
          ),
        /attentionBackward: 'dv' needs 16/,
      );
    });
  }

  it('scaledDotProductAttention runs flashAttention only without weights, dropout or a float mask', () => {
    const [q, k, v] = inputs({ batch: [2], tq: 4, tk: 6, d: 3, dv: 2 }, 51).map((t) =>
      fromArray(t.data, t.shape, { requiresGrad: true }),
    );
    const opName = (r: { context: Tensor }): string | undefined => r.context.gradFn?.name;
    const mask = randomMask([2, 1, 6], 52);
    const fusedRun = scaledDotProductAttention(q, k, v, { needWeights: false, mask, causal: true });
    assert.equal(opName(fusedRun), 'flashAttention');
    assert.equal(fusedRun.weights, null);
    assertClose(fusedRun.context, scaledDotProductAttention(q, k, v, { mask, causal: true }).context);
    assert.equal(
      opName(scaledDotProductAttention(q, k, v, { needWeights: false, dropout: 0.1, training: false })),
      'flashAttention',
    );
    // With weights the fused flashAttentionWithWeights; with dropout or a float mask the composition.
    assert.equal(opName(scaledDotProductAttention(q, k, v)), 'flashAttentionWithWeights.context');
    assert.equal(opName(scaledDotProductAttention(q, k, v, { needWeights: false, dropout: 0.1 })), 'matmul');
    const floatMask = fromArray(randomTensor([4, 6], 53).data, [4, 6]);
    assert.equal(
      opName(scaledDotProductAttention(q, k, v, { needWeights: false, mask: floatMask })),
      'matmul',
    );
  });

  it('shape errors name the op and the shapes', () => {
    const [q, k, v] = inputs({ batch: [2], tq: 3, tk: 5, d: 4, dv: 2 }, 61);
    assert.throws(() => flashAttention(q, randomTensor([2, 5, 3], 1), v), {
      name: 'ShapeError',
      message: /flashAttention: expected q \[\.\.\., Tq, D\].*got \[2, 3, 4\], \[2, 5, 3\], \[2, 5, 2\]/,
    });
    assert.throws(() => flashAttention(q, k, v, { mask: Mask.from([[1, 1, 1]]) }), {
      message: /flashAttention: mask \[1, 3\] does not broadcast against the scores \[2, 3, 5\]/,
    });
    assert.throws(() => flashAttention(q, k, v, { mask: randomMask([1, 1, 3, 5], 1) }), {
      message: /flashAttention: mask \[1, 1, 3, 5\] does not broadcast against the scores \[2, 3, 5\]/,
    });
    assert.throws(() => flashAttention(randomTensor([3, 3, 4], 1), k, v), {
      message: /flashAttention: shapes \[3\] and \[2\] cannot be broadcast/,
    });
    assert.throws(
      () => flashAttention(q, k, v, { scale: Number.NaN }),
      /flashAttention: scale must be finite/,
    );
  });
});
