import assert from 'node:assert/strict';
import { it } from 'node:test';
import { add, mul } from '../ops/binary.js';
import { fromArray } from '../ops/creation.js';
import { crossEntropy } from '../ops/loss.js';
import { matmul } from '../ops/matmul.js';
import { sum } from '../ops/reduce.js';
import { reshape } from '../ops/shape.js';
import { softmax } from '../ops/softmax.js';
import { tanh } from '../ops/unary.js';
import { bufferPoolStats, resetBufferPool } from '../tensor/pool.js';
import { allocate, type Tensor } from '../tensor/tensor.js';
import { describeEachBackend } from '../testing/backends.js';
import { HeedError } from '../util/errors.js';
import { Generator } from '../util/random.js';

/** A float32 leaf of seeded values in [-scale, scale). */
function param(shape: number[], seed: number, scale = 1): Tensor {
  const gen = new Generator(seed);
  const n = shape.reduce((p, v) => p * v, 1);
  const values = Array.from({ length: n }, () => scale * (2 * gen.uniform() - 1));
  return fromArray(values, shape).requireGrad();
}

/** h ← tanh(h·W + x_t) over the inputs from h = 0, then Σ h; rows of B·H > 1024 floats are pooled. */
function recurrence(w: Tensor, xs: readonly Tensor[]): Tensor {
  let h: Tensor = fromArray(new Float32Array(xs[0].size), xs[0].shape);
  for (const x of xs) h = tanh(add(matmul(h, w), x)); // [B, H]
  return sum(h);
}

function bits(t: Tensor | null): number[] {
  assert.ok(t !== null, 'gradient missing');
  return Array.from(new Uint32Array(Float32Array.from(t.data).buffer));
}

describeEachBackend('releasing the graph after backward', () => {
  it('intermediates and intermediate gradients go back to the pool and are reused', () => {
    resetBufferPool();
    const w = param([64, 64], 1, 0.1);
    const x = param([32, 64], 2);
    const step = () => {
      const h = tanh(matmul(x, w)); // [32, 64]: 2048 floats
      const loss = sum(mul(h, h));
      loss.backward(undefined, { releaseGraph: true });
    };
    step();
    const released = bufferPoolStats().released;
    assert.ok(released >= 3, `only ${released} buffers came back`);
    const hitsBefore = bufferPoolStats().hits;
    step();
    assert.ok(bufferPoolStats().hits - hitsBefore >= released, 'the second step reuses them');
  });

  it('released tensors throw a clear error; leaves, gradients and inputs stay readable', () => {
    const w = param([64, 64], 1, 0.1);
    const x = fromArray(new Float32Array(32 * 64).fill(0.5), [32, 64]); // a constant input
    const h = tanh(matmul(x, w));
    const loss = sum(h);
    const value = loss.item();
    loss.backward(undefined, { releaseGraph: true });
    assert.ok(h.released && loss.released);
    assert.throws(() => h.data, /was used after it was released/);
    assert.throws(() => loss.item(), HeedError);
    assert.throws(() => tanh(h), /released/);
    assert.ok(Number.isFinite(value));
    assert.equal(x.data[0], 0.5);
    assert.ok(!w.released && w.grad !== null && Number.isFinite(w.grad.data[0]));
    assert.match(String(h), /released/);
  });

  it('retained outputs keep their values and leave the graph; a view of a parameter keeps it', () => {
    const w = param([64, 64], 3, 0.1);
    const flat = reshape(w, [4096]); // a view of the parameter's buffer, in the graph
    const x = param([32, 64], 4);
    const probs = softmax(matmul(x, reshape(flat, [64, 64])), -1); // [32, 64]
    const kept = Float32Array.from(probs.data);
    const wValues = Float32Array.from(w.data);
    sum(mul(probs, probs)).backward(undefined, { releaseGraph: true, retain: [probs] });
    assert.ok(flat.released, 'the view itself is released');
    // Allocate over whatever was pooled: neither the retained output nor the parameter changes.
    for (let i = 0; i < 20; i++) allocate('float32', 4096).fill(9);
    assert.deepEqual(probs.data, kept);
    assert.deepEqual(w.data, wValues);
    assert.equal(probs.requiresGrad, false);
    assert.equal(probs.gradFn, null);
  });

  it('detached tensors keep their buffer out of the pool', () => {
    const w = param([64, 64], 5, 0.1);
    const x = param([32, 64], 6);
    const h = tanh(matmul(x, w));
    const d = h.detach();
    const kept = Float32Array.from(d.data);
    sum(h).backward(undefined, { releaseGraph: true });
    for (let i = 0; i < 20; i++) allocate('float32', 2048).fill(9);
    assert.deepEqual(d.data, kept);
  });

  it('gradients are bit-identical with and without release, step after step', () => {
    const run = (releaseGraph: boolean) => {
      const w = param([64, 64], 7, 0.1);
      const x = param([32, 64], 8);
      const targets = Int32Array.from({ length: 32 }, (_, i) => (i * 7) % 64);
      const out: number[][] = [];
      for (let s = 0; s < 3; s++) {
        w.zeroGrad();
        x.zeroGrad();
        const logits = matmul(tanh(matmul(x, w)), w); // w used twice: its gradients are summed
        crossEntropy(logits, targets).backward(undefined, { releaseGraph });
        out.push(bits(w.grad), bits(x.grad));
        // A step of plain SGD, so the next step's graph differs.
        for (const p of [w, x]) {
          const g = p.grad;
          assert.ok(g !== null);
          for (let i = 0; i < p.size; i++) p.data[i] -= 0.1 * g.data[i];
        }
      }
      return out;
    };
    const plain = run(false);
    assert.deepEqual(run(true), plain);
    assert.deepEqual(run(true), plain, 'again, drawing on a filled pool');
  });

  it('a 1,000-step recurrence releases and reruns bit-identically', () => {
    const w = param([40, 40], 9, 0.3);
    const xs = Array.from({ length: 1000 }, (_, t) => param([32, 40], 10 + t, 0.5));
    const grads = (releaseGraph: boolean) => {
      w.zeroGrad();
      for (const x of xs) x.zeroGrad();
      recurrence(w, xs).backward(undefined, { releaseGraph });
      return [bits(w.grad), bits(xs[0].grad), bits(xs[500].grad)];
    };
    const plain = grads(false);
    assert.deepEqual(grads(true), plain);
    assert.deepEqual(grads(true), plain, 'again, drawing on a filled pool');
  });
});
