import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allocate } from './tensor.js';

describe('allocate', () => {
  it('gives zeroed, disjoint float32 arrays, across slab boundaries too', () => {
    const arrays: Float32Array[] = [];
    // 200 arrays of 500 floats cross several 64 KiB slabs.
    for (let i = 0; i < 200; i++) {
      const a = allocate('float32', 500);
      assert.ok(a instanceof Float32Array);
      assert.equal(a.length, 500);
      assert.ok(
        a.every((v) => v === 0),
        `array ${i} is not zeroed`,
      );
      a.fill(i + 1);
      arrays.push(a);
    }
    arrays.forEach((a, i) => {
      assert.ok(
        a.every((v) => v === i + 1),
        `array ${i} was overwritten by a later one`,
      );
    });
  });

  it('sizes outside the slab range and float64 are plain arrays', () => {
    assert.equal(allocate('float32', 8).byteOffset, 0);
    assert.equal(allocate('float32', 5000).byteLength, 20000);
    assert.ok(allocate('float64', 100) instanceof Float64Array);
    assert.equal(allocate('float32', 0).length, 0);
  });
});
