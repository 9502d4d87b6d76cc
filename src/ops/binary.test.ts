import assert from 'node:assert/strict';
import { it } from 'node:test';
import { withBackend } from '../backend/registry.js';
import type { NestedArray, Tensor } from '../tensor/tensor.js';
import { describeEachBackend } from '../testing/backends.js';
import { agreesWithReference, assertClose, checkOp, randomTensor } from '../testing/gradcheck.js';
import { add, div, maximum, minimum, mul, pow, sub } from './binary.js';
import { tensor, zeros } from './creation.js';
import { sum } from './reduce.js';

function expectClose(t: Tensor, expected: NestedArray, tol = 1e-6): void {
  assertClose(t, tensor(expected, { dtype: 'float64' }), tol, tol);
}

type Op = (a: Tensor | number, b: Tensor | number) => Tensor;

/** Pairs of operand shapes covering every way two shapes broadcast. */
const broadcastCases: readonly { name: string; a: number[]; b: number[] }[] = [
  { name: 'same shape', a: [3, 5], b: [3, 5] },
  { name: 'scalar (0-d) right', a: [3, 5], b: [] },
  { name: 'scalar (0-d) left', a: [], b: [3, 5] },
  { name: 'row', a: [3, 5], b: [5] },
  { name: 'column', a: [3, 1], b: [3, 5] },
  { name: 'middle axis', a: [2, 1, 5], b: [2, 3, 5] },
  { name: 'both sides broadcast', a: [3, 1], b: [1, 5] },
  { name: 'both sides, rank 3', a: [2, 1, 7], b: [1, 3, 1] },
  { name: 'size-1 against 17', a: [1], b: [17] },
];

describeEachBackend('binary ops', (backend) => {
  it('add/sub/mul/div forward values with a row broadcast', () => {
    const a = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const b = tensor([10, 20, 40]);
    expectClose(add(a, b), [
      [11, 22, 43],
      [14, 25, 46],
    ]);
    expectClose(sub(a, b), [
      [-9, -18, -37],
      [-6, -15, -34],
    ]);
    expectClose(mul(a, b), [
      [10, 40, 120],
      [40, 100, 240],
    ]);
    expectClose(div(a, b), [
      [0.1, 0.1, 0.075],
      [0.4, 0.25, 0.15],
    ]);
  });

  it('column and both-sides broadcasting give the outer shape', () => {
    const col = tensor([[1], [2], [3]]);
    const row = tensor([[10, 20]]);
    const out = add(col, row);
    assert.deepEqual(out.shape, [3, 2]);
    expectClose(out, [
      [11, 21],
      [12, 22],
      [13, 23],
    ]);
    assert.deepEqual(add(tensor([[[1, 2, 3]], [[4, 5, 6]]]), tensor([[0], [1], [2], [3]])).shape, [2, 4, 3]);
  });

  it('number operands on either side', () => {
    const x = tensor([1, 2, 4]);
    expectClose(add(x, 1), [2, 3, 5]);
    expectClose(sub(1, x), [0, -1, -3]);
    expectClose(sub(x, 1), [0, 1, 3]);
    expectClose(mul(3, x), [3, 6, 12]);
    expectClose(div(1, x), [1, 0.5, 0.25]);
    expectClose(div(x, 4), [0.25, 0.5, 1]);
    expectClose(pow(2, x), [2, 4, 16]);
    expectClose(pow(x, 2), [1, 4, 16]);
    expectClose(maximum(x, 2), [2, 2, 4]);
    expectClose(minimum(2, x), [1, 2, 2]);
  });

  it('a number operand takes the dtype of the tensor, and float32 ⊕ float64 promotes to float64', () => {
    assert.equal(add(tensor([1, 2], { dtype: 'float64' }), 0.1).dtype, 'float64');
    assert.equal(add(tensor([1, 2]), 0.1).dtype, 'float32');
    const mixed = add(tensor([1, 2]), tensor([0.1, 0.2], { dtype: 'float64' }));
    assert.equal(mixed.dtype, 'float64');
    // 0.1 stays exact in float64 (float32 would round it to 0.10000000149011612).
    assert.equal(mixed.data[0], 1.1);
  });

  it('pow forward: integer, fractional and negative exponents', () => {
    expectClose(pow(tensor([4, 9, 2]), tensor([0.5, 0.5, -1])), [2, 3, 0.5]);
    expectClose(pow(tensor([2, 3]), tensor([[3], [0]])), [
      [8, 27],
      [1, 1],
    ]);
  });

  it('maximum/minimum forward values and NaN propagation', () => {
    const a = tensor([1, 5, -2, Number.NaN, 3]);
    const b = tensor([2, 4, -2, 0, Number.NaN]);
    expectClose(maximum(a, b), [2, 5, -2, Number.NaN, Number.NaN]);
    expectClose(minimum(a, b), [1, 4, -2, Number.NaN, Number.NaN]);
  });

  it('division by zero gives ±Infinity and 0/0 gives NaN (IEEE)', () => {
    expectClose(div(tensor([1, -1, 0]), tensor([0, 0, 0])), [
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.NaN,
    ]);
  });

  const ops: readonly { name: string; op: Op; a: [number, number]; b: [number, number] }[] = [
    { name: 'add', op: add, a: [-1, 1], b: [-1, 1] },
    { name: 'sub', op: sub, a: [-1, 1], b: [-1, 1] },
    { name: 'mul', op: mul, a: [-1, 1], b: [-1, 1] },
    // Denominators kept away from 0, where 1/b and its derivative blow up.
    { name: 'div', op: div, a: [-1, 1], b: [0.5, 2] },
    // Positive bases: a^b is real and ln a (the exponent's gradient) defined only for a > 0.
    { name: 'pow', op: pow, a: [0.5, 2], b: [-1.5, 1.5] },
    // Independent random values never tie, so the derivative (0 or 1) is well defined.
    { name: 'maximum', op: maximum, a: [-1, 1], b: [-1, 1] },
    { name: 'minimum', op: minimum, a: [-1, 1], b: [-1, 1] },
  ];

  for (const { name, op, a, b } of ops) {
    for (const c of broadcastCases) {
      it(`${name} gradient: ${c.name} ${JSON.stringify(c.a)} ⊕ ${JSON.stringify(c.b)}`, () => {
        const x = randomTensor(c.a, 11, a[0], a[1]);
        const y = randomTensor(c.b, 12, b[0], b[1]);
        checkOp(backend, (p, q) => op(p, q), [x, y]);
      });
    }
    it(`${name} gradient with a number operand on each side`, () => {
      const x = randomTensor([3, 7], 13, a[0], a[1]);
      const y = randomTensor([3, 7], 14, b[0], b[1]);
      checkOp(backend, (p) => op(p, 0.75), [x]);
      checkOp(backend, (q) => op(0.75, q), [y]);
    });
  }

  it('larger shapes (vector tails, strided broadcasts) agree with the float64 reference', () => {
    const shapes: readonly [number[], number[]][] = [
      [[1031], [1031]],
      [[33, 67], [67]],
      [
        [33, 1],
        [1, 67],
      ],
      [
        [5, 1, 130],
        [7, 1],
      ],
      [
        [4, 1, 9, 1],
        [1, 3, 1, 11],
      ],
      [[], [2, 129]],
      // Over the native kernels' threading threshold (16,384 elements under npm test, which sets HEED_PAR_THRESHOLD).
      [[300, 260], [260]],
      [
        [300, 1],
        [1, 260],
      ],
    ];
    for (const { name, op, a, b } of ops) {
      for (const [sa, sb] of shapes) {
        const x = randomTensor(sa, 15, a[0], a[1]);
        const y = randomTensor(sb, 16, b[0], b[1]);
        try {
          agreesWithReference((p, q) => op(p, q), [x, y]);
        } catch (e) {
          throw new Error(`${name} ${JSON.stringify(sa)} ⊕ ${JSON.stringify(sb)}: ${(e as Error).message}`);
        }
      }
    }
  });

  it('special values match the js kernels in float32 (±∞, NaN, 0, overflow)', () => {
    const vals = [0, -0, 1, -1, 2, 0.5, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 3e38];
    const a = tensor(vals.flatMap((v) => vals.map(() => v)));
    const b = tensor(vals.flatMap(() => vals));
    for (const { name, op } of ops) {
      const ref = withBackend('js', () => op(a, b));
      assertClose(op(a, b), ref, 0, 1e-6, name);
    }
  });

  it('the gradients of a broadcast operand are summed over the broadcast axes (by hand)', () => {
    const a = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { requiresGrad: true },
    );
    const b = tensor([10, 20, 30], { requiresGrad: true });
    sum(mul(a, b)).backward();
    expectClose(b.grad as Tensor, [5, 7, 9]);
    expectClose(a.grad as Tensor, [
      [10, 20, 30],
      [10, 20, 30],
    ]);
  });

  it('maximum on a tie sends the whole gradient to the first operand', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([1, 3], { requiresGrad: true });
    sum(maximum(a, b)).backward();
    expectClose(a.grad as Tensor, [1, 0]);
    expectClose(b.grad as Tensor, [0, 1]);
  });

  it('an operand without requiresGrad gets no gradient', () => {
    const a = tensor([1, 2, 3], { requiresGrad: true });
    const b = tensor([4, 5, 6]);
    sum(div(a, b)).backward();
    assert.equal(b.grad, null);
    expectClose(a.grad as Tensor, [0.25, 0.2, 1 / 6]);
  });

  it('pow gradient by hand: d(a^b)/da = b·a^(b−1), d/db = a^b·ln a', () => {
    const a = tensor([2, 3], { requiresGrad: true });
    const b = tensor([3, 2], { requiresGrad: true });
    sum(pow(a, b)).backward();
    expectClose(a.grad as Tensor, [12, 6], 1e-5);
    expectClose(b.grad as Tensor, [8 * Math.LN2, 9 * Math.log(3)], 1e-5);
  });

  it('empty tensors broadcast to empty results', () => {
    const e = add(zeros([0, 3]), tensor([1, 2, 3]));
    assert.deepEqual(e.shape, [0, 3]);
    assert.equal(e.size, 0);
    assert.deepEqual(mul(zeros([2, 0]), 5).shape, [2, 0]);
  });

  it('pow gradients at base 0 are 0 where the formulas give 0·∞ (as PyTorch), not NaN', () => {
    const a = tensor([0, 2, 0, 0], { requiresGrad: true });
    const b = tensor([2, 3, 0, 0.5], { requiresGrad: true });
    sum(pow(a, b)).backward();
    // d/da: b·a^(b−1) = [0, 12, (b = 0: constant) 0, 0.5·0^(−0.5) = ∞]
    expectClose(a.grad as Tensor, [0, 12, 0, Number.POSITIVE_INFINITY], 1e-5);
    // d/db: a^b·ln a, and 0 wherever a = 0 with b ≥ 0 (0^b is constant 0 for b > 0).
    expectClose(b.grad as Tensor, [0, 8 * Math.LN2, 0, 0], 1e-5);
    const x = tensor([0, 1, 3], { requiresGrad: true });
    sum(pow(x, 0)).backward();
    expectClose(x.grad as Tensor, [0, 0, 0]);
  });

  it('a shape mismatch names the op and both shapes', () => {
    const a = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const b = tensor([1, 2, 3, 4]);
    for (const [name, op] of [
      ['add', add],
      ['sub', sub],
      ['mul', mul],
      ['div', div],
      ['pow', pow],
      ['maximum', maximum],
      ['minimum', minimum],
    ] as const) {
      assert.throws(
        () => op(a, b),
        (e: Error) => {
          assert.equal(e.name, 'ShapeError');
          assert.ok(e.message.includes(name), e.message);
          assert.ok(e.message.includes('[2, 3]'), e.message);
          assert.ok(e.message.includes('[4]'), e.message);
          return true;
        },
      );
    }
  });
});
