import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  allocatePooled,
  bufferPoolStats,
  ceilClass,
  floorClass,
  isPoolable,
  markEscaped,
  releaseBuffer,
  resetBufferPool,
} from './pool.js';
import { allocate } from './tensor.js';

const DEFAULT_LIMIT = 1 << 30;

describe('buffer pool', () => {
  afterEach(() => resetBufferPool(DEFAULT_LIMIT));

  it('size classes: four per octave, a request fits its class, a buffer serves its floor class', () => {
    assert.deepEqual(
      [1025, 1280, 1281, 1536, 1800, 2048, 2049, 5000].map(ceilClass),
      [1280, 1280, 1536, 1536, 2048, 2048, 2560, 5120],
    );
    for (let n = 1025; n < 70_000; n += 97) {
      const c = ceilClass(n);
      assert.ok(c >= n && c < n * 1.25 + 1, `class ${c} of ${n}`);
      assert.equal(floorClass(c), c, `a class is its own floor (${c})`);
      assert.ok(floorClass(n) <= n && ceilClass(floorClass(n)) === floorClass(n));
    }
  });

  it('a released buffer is handed out again, zero-filled, for any request of its class', () => {
    resetBufferPool();
    releaseBuffer(new ArrayBuffer(1)); // the pool is in use from the first release on
    const a = allocatePooled(3000);
    a.fill(7);
    const buffer = a.buffer as ArrayBuffer;
    assert.ok(isPoolable(buffer));
    releaseBuffer(buffer);
    assert.equal(bufferPoolStats().pooledBytes, buffer.byteLength);
    const b = allocatePooled(ceilClass(3000) - 1); // another size of the same class
    assert.equal(b.buffer, buffer);
    assert.equal(b.length, ceilClass(3000) - 1);
    assert.ok(
      b.every((v) => v === 0),
      'a reused buffer is zero-filled',
    );
    assert.equal(bufferPoolStats().hits, 1);
    assert.equal(bufferPoolStats().pooledBytes, 0);
    resetBufferPool();
    const exact = new Float32Array(3000).buffer; // not made by allocate(): a class of 2560
    assert.equal(floorClass(exact.byteLength / 4), 2560);
  });

  it('once in use, fresh buffers get their class capacity so they can serve the same size again', () => {
    resetBufferPool();
    releaseBuffer(allocatePooled(4000).buffer as ArrayBuffer);
    const fresh = allocatePooled(5000); // another class: a miss
    assert.equal(fresh.buffer.byteLength, ceilClass(5000) * 4);
    releaseBuffer(fresh.buffer as ArrayBuffer);
    assert.equal(allocatePooled(5000).buffer, fresh.buffer);
  });

  it('allocate() draws large float32 arrays from the pool, small ones and float64 never', () => {
    resetBufferPool();
    const big = allocate('float32', 2000);
    releaseBuffer(big.buffer as ArrayBuffer);
    assert.equal(allocate('float32', 2000).buffer, big.buffer);
    assert.ok(!isPoolable(allocate('float32', 500).buffer), 'slab views are not poolable');
    assert.ok(!isPoolable(allocate('float64', 5000).buffer));
    assert.ok(!isPoolable(new Float32Array(5000).buffer), 'only buffers allocate() made');
  });

  it('escaped buffers, tiny classes and buffers beyond the limit are not taken', () => {
    resetBufferPool();
    const a = allocatePooled(3000);
    markEscaped(a.buffer);
    assert.ok(!isPoolable(a.buffer));
    releaseBuffer(new ArrayBuffer(1100 * 4)); // floor class 1024: serves no request
    assert.equal(bufferPoolStats().dropped, 1);
    resetBufferPool(0);
    releaseBuffer(allocatePooled(3000).buffer as ArrayBuffer);
    assert.equal(bufferPoolStats().dropped, 1);
    assert.equal(bufferPoolStats().pooledBytes, 0);
  });
});
