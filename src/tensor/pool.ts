/**
 * A pool of large float32 buffers for {@link allocate}: buffers that a released autograd graph
 * gave back (see `backward(..., { releaseGraph: true })` in autograd/engine.ts) are handed out
 * again instead of fresh ones. A training step allocates the same sizes step after step, and a
 * fresh off-heap array above the slab size costs a zero-filled allocation, first-touch page
 * faults, and V8 garbage collections driven by the external memory: in a seq2seq training step
 * these were 20% of the time.
 *
 * Buffers are grouped by capacity class, four classes per octave (1024, 1280, 1536, 1792, 2048,
 * …), so a buffer serves any request up to its class and at most a quarter of it is unused;
 * batches whose shapes vary a little still reuse each other's buffers. A request takes a free
 * buffer of its class, views its first `size` floats, and zero-fills them (allocate's contract;
 * allocateUninit skips that for outputs written in full).
 *
 * Only buffers that allocate() itself made are accepted ({@link isPoolable}), never one a caller
 * wrapped, and never one a detached tensor shares ({@link markEscaped}).
 */

/** Floats below which allocate() uses slabs or V8's heap instead (tensor.ts's SLAB_MAX). */
const MIN_POOLED = 1024;

/** Free buffers by class capacity (in floats). */
const free = new Map<number, ArrayBuffer[]>();
/** Buffers allocate() made: the only ones the pool takes back. */
const made = new WeakSet<ArrayBuffer>();
/** Buffers shared with a tensor outside any graph (detach()): never pooled. */
const escaped = new WeakSet<ArrayBuffer>();
let pooledBytes = 0;
let limitBytes = 1 << 30;
/** Set by the first release: from then on fresh buffers get their class capacity. */
let active = false;
const stats = { hits: 0, misses: 0, released: 0, dropped: 0 };

/** The capacity class of a request: `size` rounded up to a quarter of its octave. */
export function ceilClass(size: number): number {
  const quarter = octave(size) / 4;
  return Math.ceil(size / quarter) * quarter;
}

/** The largest class a buffer of `capacity` floats can serve. */
export function floorClass(capacity: number): number {
  const quarter = octave(capacity) / 4;
  return Math.floor(capacity / quarter) * quarter;
}

/** The largest power of two ≤ n (n ≥ 1024, below 2^32). */
function octave(n: number): number {
  return 2 ** (31 - Math.clz32(n));
}

/**
 * A float32 array of `size` (> 1024) floats: a free pooled buffer's view when there is one, else
 * a fresh array, sized to its class once the pool is in use so that it can serve the same request
 * again after a release. Zero-filled, unless `zero` is false and it comes from the pool (then it
 * holds a released tensor's values, for a caller that overwrites them all).
 */
export function allocatePooled(size: number, zero = true): Float32Array {
  const cls = ceilClass(size);
  const list = free.get(cls);
  const buf = list?.pop();
  if (buf !== undefined) {
    pooledBytes -= buf.byteLength;
    stats.hits++;
    const view = new Float32Array(buf, 0, size);
    if (zero) view.fill(0);
    return view;
  }
  stats.misses++;
  if (!active) {
    const a = new Float32Array(size);
    made.add(a.buffer);
    return a;
  }
  const fresh = new ArrayBuffer(cls * 4);
  made.add(fresh);
  return new Float32Array(fresh, 0, size);
}

/** Whether a buffer may go back to the pool: allocate() made it and no detached tensor shares it. */
export function isPoolable(buffer: ArrayBufferLike): buffer is ArrayBuffer {
  return buffer instanceof ArrayBuffer && made.has(buffer) && !escaped.has(buffer);
}

/** Marks a buffer as shared outside any graph (its tensor was detached): it is never pooled. */
export function markEscaped(buffer: ArrayBufferLike): void {
  if (buffer instanceof ArrayBuffer && made.has(buffer)) escaped.add(buffer);
}

/**
 * Gives a buffer back. The caller guarantees no live tensor or array reads it any more (the
 * engine marks every tensor over it released). Beyond the pool's limit it is left to the GC.
 */
export function releaseBuffer(buffer: ArrayBuffer): void {
  active = true;
  const cls = floorClass(buffer.byteLength / 4);
  if (cls <= MIN_POOLED || pooledBytes + buffer.byteLength > limitBytes) {
    stats.dropped++;
    return;
  }
  let list = free.get(cls);
  if (list === undefined) {
    list = [];
    free.set(cls, list);
  }
  list.push(buffer);
  pooledBytes += buffer.byteLength;
  stats.released++;
}

/** What the pool holds and has done (for tests and benchmarks). */
export interface BufferPoolStats {
  /** Bytes of free buffers held. */
  pooledBytes: number;
  /** The most it holds (default 1 GiB). */
  limitBytes: number;
  /** Requests served from the pool, and served fresh. */
  hits: number;
  misses: number;
  /** Buffers taken back, and turned away (too small, or over the limit). */
  released: number;
  dropped: number;
}

export function bufferPoolStats(): BufferPoolStats {
  return { pooledBytes, limitBytes, ...stats };
}

/**
 * Empties the pool (its buffers are left to the GC) and, with `limitBytes`, sets how much it may
 * hold (0 turns pooling off: every released buffer is dropped). Counters restart.
 */
export function resetBufferPool(limit?: number): void {
  free.clear();
  pooledBytes = 0;
  if (limit !== undefined) limitBytes = limit;
  stats.hits = 0;
  stats.misses = 0;
  stats.released = 0;
  stats.dropped = 0;
}
