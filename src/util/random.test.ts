import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Generator } from './random.js';

describe('Generator', () => {
  it('repeats its stream from a seed and from a saved state', () => {
    const a = new Generator(7);
    const b = new Generator(7);
    const first = Array.from({ length: 5 }, () => a.nextU32());
    assert.deepEqual(
      Array.from({ length: 5 }, () => b.nextU32()),
      first,
    );
    const state = a.getState();
    const next = Array.from({ length: 5 }, () => a.uniform());
    const c = new Generator(1);
    c.setState(state);
    assert.deepEqual(
      Array.from({ length: 5 }, () => c.uniform()),
      next,
    );
  });

  it('fillMask draws what one uniform() per element draws, and leaves the stream where they would', () => {
    for (const [seed, p, n] of [
      [0, 0.2, 1000],
      [42, 0.5, 257],
      [3, 0.999, 64],
      [9, 0, 33],
      [11, 0.1, 0],
    ] as const) {
      const bulk = new Generator(seed);
      const loop = new Generator(seed);
      for (const out of [new Float32Array(n), new Float64Array(n)]) {
        bulk.fillMask(out, p, 1.25);
        const want = Array.from({ length: n }, () => (loop.uniform() < p ? 0 : 1.25));
        assert.deepEqual(Array.from(out), want, `seed ${seed}, p ${p}`);
      }
      assert.equal(bulk.uniform(), loop.uniform(), `the stream continues alike (seed ${seed})`);
    }
  });

  it('fillMask keeps about 1 − p of the elements', () => {
    const out = new Float32Array(100_000);
    new Generator(5).fillMask(out, 0.3, 2);
    const kept = out.filter((v) => v === 2).length / out.length;
    assert.ok(Math.abs(kept - 0.7) < 0.01, `kept ${kept}`);
    assert.ok(out.every((v) => v === 0 || v === 2));
  });
});
