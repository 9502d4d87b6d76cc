import assert from 'node:assert/strict';
import { it } from 'node:test';
import { nativeInfo, setNativeGemm } from '../backend/native/index.js';
import type { NestedArray, Tensor } from '../tensor/tensor.js';
import { describeEachBackend } from '../testing/backends.js';
import { agreesWithReference, assertClose, checkOp, randomTensor } from '../testing/gradcheck.js';
import { mul } from './binary.js';
import { fromArray, tensor, zeros } from './creation.js';
import { matmul } from './matmul.js';
import { sum } from './reduce.js';
import { slice, squeeze, transpose, unsqueeze } from './shape.js';

function expectClose(t: Tensor, expected: NestedArray, tol = 1e-6): void {
  assertClose(t, tensor(expected, { dtype: 'float64' }), tol, tol);
}

/** The stored shape of an operand whose last two axes are [rows, cols], transposed if asked. */
function stored(shape: readonly number[], trans: boolean): number[] {
  if (!trans) return [...shape];
  const s = [...shape];
  [s[s.length - 2], s[s.length - 1]] = [s[s.length - 1], s[s.length - 2]];
  return s;
}

const flagCombos = [
  { transA: false, transB: false },
  { transA: true, transB: false },
  { transA: false, transB: true },
  { transA: true, transB: true },
] as const;

/** Logical shapes of op(a) and op(b), covering 2-D, batched and every batch broadcast. */
const shapeCases: readonly { name: string; a: number[]; b: number[]; out: number[] }[] = [
  { name: '2-D', a: [3, 4], b: [4, 5], out: [3, 5] },
  { name: '2-D with odd sizes', a: [1, 7], b: [7, 1], out: [1, 1] },
  { name: 'batched', a: [2, 3, 4], b: [2, 4, 5], out: [2, 3, 5] },
  { name: 'batch · matrix', a: [2, 3, 4, 5], b: [5, 6], out: [2, 3, 4, 6] },
  { name: 'matrix · batch', a: [4, 5], b: [2, 5, 3], out: [2, 4, 3] },
  { name: 'both batches broadcast', a: [2, 1, 4, 5], b: [3, 5, 6], out: [2, 3, 4, 6] },
  { name: 'size-1 batch against a batch', a: [1, 3, 4], b: [2, 4, 5], out: [2, 3, 5] },
];

describeEachBackend('matmul', (backend) => {
  it('2-D product by hand', () => {
    const a = tensor([
      [1, 2],
      [3, 4],
    ]);
    const b = tensor([
      [5, 6],
      [7, 8],
    ]);
    expectClose(matmul(a, b), [
      [19, 22],
      [43, 50],
    ]);
    expectClose(matmul(a, b, { transA: true }), [
      [26, 30],
      [38, 44],
    ]);
    expectClose(matmul(a, b, { transB: true }), [
      [17, 23],
      [39, 53],
    ]);
    expectClose(matmul(a, b, { transA: true, transB: true }), [
      [23, 31],
      [34, 46],
    ]);
  });

  it('non-square product by hand: [2, 3] · [3, 1]', () => {
    const a = tensor([
      [1, 0, -1],
      [2, 3, 4],
    ]);
    const b = tensor([[1], [2], [3]]);
    expectClose(matmul(a, b), [[-2], [20]]);
  });

  it('transpose flags equal multiplying explicit transposes', () => {
    const a = randomTensor([2, 5, 3], 1);
    const b = randomTensor([2, 4, 5], 2);
    const ref = matmul(transpose(a), transpose(b));
    assertClose(matmul(a, b, { transA: true, transB: true }), ref, 1e-5, 1e-5);
  });

  it('each batch of a batched product equals the 2-D product of its slices', () => {
    const a = randomTensor([3, 4, 6], 3);
    const b = randomTensor([3, 6, 5], 4);
    const out = matmul(a, b);
    assert.deepEqual(out.shape, [3, 4, 5]);
    for (let i = 0; i < 3; i++) {
      const pick = (t: Tensor): Tensor => squeeze(slice(t, 0, i, i + 1), 0);
      assertClose(pick(out), matmul(pick(a), pick(b)), 1e-6, 1e-6, `batch ${i}`);
    }
  });

  it('batch broadcast [2, 1, 4, 5] · [3, 5, 6] gives [2, 3, 4, 6] with each pair multiplied', () => {
    const a = randomTensor([2, 1, 4, 5], 5);
    const b = randomTensor([3, 5, 6], 6);
    const out = matmul(a, b);
    assert.deepEqual(out.shape, [2, 3, 4, 6]);
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 3; j++) {
        const ai = squeeze(slice(a, 0, i, i + 1), 0); // [1, 4, 5]
        const bj = slice(b, 0, j, j + 1); // [1, 5, 6]
        const oij = squeeze(slice(slice(out, 0, i, i + 1), 1, j, j + 1), 0);
        assertClose(oij, matmul(ai, bj), 1e-6, 1e-6, `batch ${i},${j}`);
      }
    }
  });

  it('gradients by hand: dA = G·Bᵀ, dB = Aᵀ·G', () => {
    const a = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { requiresGrad: true },
    );
    const b = tensor(
      [
        [5, 6],
        [7, 8],
      ],
      { requiresGrad: true },
    );
    sum(matmul(a, b)).backward();
    expectClose(a.grad as Tensor, [
      [11, 15],
      [11, 15],
    ]);
    expectClose(b.grad as Tensor, [
      [4, 4],
      [6, 6],
    ]);
  });

  for (const c of shapeCases) {
    for (const f of flagCombos) {
      const a = stored(c.a, f.transA);
      const b = stored(c.b, f.transB);
      it(`gradient, ${c.name}: ${JSON.stringify(a)}${f.transA ? 'ᵀ' : ''} · ${JSON.stringify(b)}${f.transB ? 'ᵀ' : ''}`, () => {
        const x = randomTensor(a, 51);
        const y = randomTensor(b, 52);
        assert.deepEqual(matmul(x, y, f).shape, c.out);
        checkOp(backend, (p, q) => matmul(p, q, f), [x, y]);
      });
    }
  }

  it('gradient when only one operand requires it, and the same tensor on both sides', () => {
    const w = randomTensor([4, 4], 53);
    const x = randomTensor([2, 3, 4], 54);
    checkOp(backend, (p) => matmul(p, w), [x]);
    checkOp(backend, (q) => matmul(x, q, { transB: true }), [w]);
    checkOp(backend, (p) => matmul(p, p, { transA: true }), [w]);
  });

  it('a float32 matrix product (the 2-D fast path) equals the general path exactly, with gradients', () => {
    // The same product as a batch of one takes the general path (batch bookkeeping, GEMM
    // folding); both reach the backend with the same GEMM, so results match bit for bit.
    for (const f of flagCombos) {
      const aShape = stored([5, 7], f.transA);
      const bShape = stored([7, 3], f.transB);
      const x = fromArray(randomTensor(aShape, 61).data, aShape, { requiresGrad: true });
      const y = fromArray(randomTensor(bShape, 62).data, bShape, { requiresGrad: true });
      const x3 = fromArray(x.data, [1, ...aShape], { requiresGrad: true });
      const y3 = fromArray(y.data, [1, ...bShape], { requiresGrad: true });
      const w = fromArray(randomTensor([5, 3], 63).data, [5, 3]);
      const fast = matmul(x, y, f);
      const general = matmul(x3, y3, f);
      assert.equal(fast.dtype, 'float32');
      assert.deepEqual(fast.shape, [5, 3]);
      assert.deepEqual(Array.from(fast.data), Array.from(general.data), JSON.stringify(f));
      sum(mul(fast, w)).backward();
      sum(mul(general, unsqueeze(w, 0))).backward();
      const gx = x.grad as Tensor;
      const gy = y.grad as Tensor;
      assert.deepEqual(gx.shape, aShape);
      assert.deepEqual(gy.shape, bShape);
      assert.ok(Object.isFrozen(gx.shape) && Object.isFrozen(gy.shape));
      assert.deepEqual(Array.from(gx.data), Array.from((x3.grad as Tensor).data), `dA ${JSON.stringify(f)}`);
      assert.deepEqual(Array.from(gy.data), Array.from((y3.grad as Tensor).data), `dB ${JSON.stringify(f)}`);
    }
  });

  it('2-D output shapes are frozen and right when products of different shapes alternate', () => {
    const a = fromArray(randomTensor([2, 3], 64).data, [2, 3]);
    const b = fromArray(randomTensor([3, 4], 65).data, [3, 4]);
    const c = fromArray(randomTensor([5, 3], 66).data, [5, 3]);
    const first = matmul(a, b);
    const second = matmul(c, b);
    const third = matmul(a, b, { transA: false });
    const fourth = matmul(b, b, { transA: true });
    assert.deepEqual(first.shape, [2, 4]);
    assert.deepEqual(second.shape, [5, 4]);
    assert.deepEqual(third.shape, [2, 4]);
    assert.deepEqual(fourth.shape, [4, 4]);
    for (const t of [first, second, third, fourth]) assert.ok(Object.isFrozen(t.shape));
    assert.throws(() => {
      (first.shape as number[])[0] = 7;
    }, TypeError);
    assert.deepEqual(third.shape, [2, 4]);
  });

  /** Larger products (blocked kernel paths, odd edges) against the float64 reference. */
  function checkLargerProducts(): void {
    const big: readonly { a: number[]; b: number[] }[] = [
      // Past the unpacked small path into the packed kernel, with odd edges; k past one KC
      // block; m past one MC block; one product over the threading threshold (524,288
      // multiply-adds under npm test: 32 × HEED_PAR_THRESHOLD).
      { a: [37, 61], b: [61, 53] },
      { a: [20, 400], b: [400, 17] },
      { a: [180, 40], b: [40, 17] },
      { a: [130, 80], b: [80, 51] },
      // A batch big enough to be split across threads by batch element.
      { a: [8, 40, 41], b: [8, 41, 40] },
      { a: [3, 33, 70], b: [70, 20] },
      { a: [2, 1, 17, 40], b: [3, 40, 19] },
      { a: [1, 1], b: [1, 300] },
      { a: [300, 1], b: [1, 1] },
      ...shapeCases,
    ];
    for (const c of big) {
      for (const f of flagCombos) {
        const x = randomTensor(stored(c.a, f.transA), 55);
        const y = randomTensor(stored(c.b, f.transB), 56);
        try {
          agreesWithReference((p, q) => matmul(p, q, f), [x, y], { atol: 1e-4 });
        } catch (e) {
          throw new Error(
            `${JSON.stringify(c.a)}·${JSON.stringify(c.b)} ${JSON.stringify(f)}: ${(e as Error).message}`,
          );
        }
      }
    }
  }

  it('larger products (blocked kernel paths, odd edges) agree with the float64 reference', () => {
    if (backend !== 'native') {
      checkLargerProducts();
      return;
    }
    // Every native GEMM: the built-in kernels, and OpenBLAS when it was compiled in.
    const info = nativeInfo();
    const kinds: ('builtin' | 'openblas')[] = info.openblas ? ['builtin', 'openblas'] : ['builtin'];
    try {
      for (const kind of kinds) {
        setNativeGemm(kind);
        try {
          checkLargerProducts();
        } catch (e) {
          throw new Error(`native gemm '${kind}': ${(e as Error).message}`);
        }
      }
    } finally {
      setNativeGemm(info.gemm);
    }
  });

  it('empty products: k = 0 gives zeros, m = 0 or batch = 0 gives an empty result', () => {
    const a = tensor([[], []], { requiresGrad: true }); // [2, 0]
    const out = matmul(a, zeros([0, 3]));
    expectClose(out, [
      [0, 0, 0],
      [0, 0, 0],
    ]);
    sum(out).backward();
    assert.deepEqual((a.grad as Tensor).shape, [2, 0]);
    assert.deepEqual(matmul(zeros([0, 4]), randomTensor([4, 3], 1)).shape, [0, 3]);
    assert.deepEqual(matmul(zeros([0, 2, 4]), randomTensor([4, 3], 1)).shape, [0, 2, 3]);
  });

  it('an inner-dimension mismatch names matmul and both shapes', () => {
    assert.throws(
      () => matmul(randomTensor([2, 3], 1), randomTensor([4, 5], 2)),
      (e: Error) => {
        assert.equal(e.name, 'ShapeError');
        assert.match(e.message, /matmul/);
        assert.ok(e.message.includes('[2, 3]') && e.message.includes('[4, 5]'), e.message);
        assert.ok(e.message.includes('3 vs 4'), e.message);
        return true;
      },
    );
    assert.throws(
      () => matmul(randomTensor([3, 2], 1), randomTensor([3, 5], 2), { transA: true, transB: true }),
      {
        name: 'ShapeError',
        message: /matmul: inner dimensions differ/,
      },
    );
  });

  it('incompatible batch shapes and 1-D inputs are errors naming matmul', () => {
    assert.throws(
      () => matmul(randomTensor([2, 3, 4], 1), randomTensor([3, 4, 5], 2)),
      (e: Error) => {
        assert.match(e.message, /matmul/);
        assert.ok(e.message.includes('[2]') && e.message.includes('[3]'), e.message);
        return true;
      },
    );
    assert.throws(
      () => matmul(randomTensor([3], 1), randomTensor([3, 2], 2)),
      /matmul: both inputs need at least 2/,
    );
  });
});
