import assert from 'node:assert/strict';
import { it } from 'node:test';
import { withBackend } from '../backend/registry.js';
import type { Tensor } from '../tensor/tensor.js';
import { describeEachBackend } from '../testing/backends.js';
import { assertClose, checkOp, type OpFn, randomTensor, valueAndGrads } from '../testing/gradcheck.js';
import { ShapeError } from '../util/errors.js';
import { add } from './binary.js';
import { linear } from './linear.js';
import { matmul } from './matmul.js';

/** linear(x, W, b) against its composition add(matmul(x, W, { transB: true }), b). */
const fused: OpFn = (x, w, b) => linear(x, w, b ?? null);
const composed: OpFn = (x, w, b) => {
  const y = matmul(x, w, { transB: true });
  return b === undefined ? y : add(y, b);
};

function inputs(xShape: number[], out: number, bias: boolean, seed: number): Tensor[] {
  const inF = xShape[xShape.length - 1];
  return [
    randomTensor(xShape, seed),
    randomTensor([out, inF], seed + 1),
    ...(bias ? [randomTensor([out], seed + 2)] : []),
  ];
}

describeEachBackend('linear', (backend) => {
  it('equals matmul + add forward and backward, with and without bias, for 2-d and 3-d inputs', () => {
    for (const [xShape, out] of [
      [[1, 1], 1],
      [[3, 5], 7],
      [[2, 3, 17], 33],
      [[4, 40, 64], 96],
    ] as [number[], number][]) {
      for (const bias of [true, false]) {
        const xs = inputs(xShape, out, bias, xShape.length * 100 + out);
        const ref = withBackend('js', () => valueAndGrads(composed, xs, 'float64'));
        const native = backend === 'native';
        const got = valueAndGrads(fused, xs, native ? 'float32' : 'float64');
        const [atol, rtol] = native ? [1e-5, 1e-4] : [1e-12, 1e-12];
        assertClose(got.out, ref.out, atol, rtol, 'output');
        ref.grads.forEach((r, i) => {
          const g = got.grads[i];
          assert.ok(g !== null && r !== null);
          assertClose(g, r, atol, rtol, `gradient of input ${i} (x ${xShape}, bias ${bias})`);
        });
      }
    }
  });

  it('finite-difference gradients', () => {
    checkOp(backend, fused, inputs([2, 3, 4], 5, true, 1));
    checkOp(backend, fused, inputs([3, 2], 4, false, 2));
  });

  it('a 1-d input is one row', () => {
    const [x, w, b] = inputs([6], 4, true, 3);
    const y = linear(x, w, b);
    assert.deepEqual(y.shape, [4]);
  });

  it('wrong shapes are a ShapeError naming the op and the shapes', () => {
    const [x, w, b] = inputs([2, 3], 4, true, 4);
    assert.throws(
      () => linear(x, w, add(b, randomTensor([2, 1], 5))),
      (e: unknown) =>
        e instanceof ShapeError &&
        e.message ===
          'linear: expected x [..., in], weight [out, in], bias [out]; got x [2, 3], weight [4, 3], bias [2, 4]',
    );
    assert.throws(() => linear(x, randomTensor([4, 5], 6)), /^ShapeError: linear: expected x \[\.\.\., in\]/);
  });
});
