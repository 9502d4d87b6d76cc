import assert from 'node:assert/strict';
import { it } from 'node:test';
import { add, mul } from '../../ops/binary.js';
import { fromArray } from '../../ops/creation.js';
import { sum } from '../../ops/reduce.js';
import { concat, reshape } from '../../ops/shape.js';
import { describeEachBackend } from '../../testing/backends.js';
import { assertClose, checkOp, randomTensor } from '../../testing/gradcheck.js';
import { splitShared, unbind } from './split.js';

describeEachBackend('splitShared and unbind', (backend) => {
  it('pieces hold the values of torch.split', () => {
    const x = fromArray([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [2, 6]);
    const [a, b] = splitShared(x, [4, 2], 1);
    assert.deepEqual(a.toArray(), [
      [0, 1, 2, 3],
      [6, 7, 8, 9],
    ]);
    assert.deepEqual(b.toArray(), [
      [4, 5],
      [10, 11],
    ]);
    const steps = unbind(reshape(x, [2, 3, 2]), 1);
    assert.equal(steps.length, 3);
    assert.deepEqual(steps[1].toArray(), [
      [2, 3],
      [8, 9],
    ]);
  });

  it('gradient: every piece used, in a shuffled order', () => {
    checkOp(
      backend,
      (x) => {
        const [a, b, c] = splitShared(x, [1, 2, 1], 1);
        return concat([mul(c, c), b, a], 1);
      },
      [randomTensor([3, 4, 2], 1)],
    );
  });

  it('gradient: an unused piece gets zeros, a piece used twice accumulates', () => {
    checkOp(
      backend,
      (x) => {
        const [a, , c] = unbind(x, 0);
        return add(mul(a, c), c);
      },
      [randomTensor([3, 2, 3], 2)],
    );
  });

  it('a second backward pass over the same graph accumulates like the first', () => {
    const x = fromArray([1, 2, 3, 4], [2, 2], { requiresGrad: true });
    const [a, b] = unbind(x, 1);
    const loss = sum(add(mul(a, 3), b));
    loss.backward();
    loss.backward();
    assertClose(x.grad ?? x, fromArray([6, 2, 6, 2], [2, 2]), 0, 0, 'x.grad');
  });

  it('sizes that do not add up are a ShapeError naming them', () => {
    assert.throws(
      () => splitShared(fromArray([1, 2, 3], [3]), [1, 1], 0),
      /splitShared: sizes \[1, 1\] do not add up to 3/,
    );
  });
});
