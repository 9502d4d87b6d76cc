import { indexSelect } from '../../ops/indexing.js';
import { concat } from '../../ops/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { fmtShape, ShapeError } from '../../util/errors.js';
import type { Generator } from '../../util/random.js';
import { type AttentionMask, causalMask, combineMasks } from './masking.js';
import { type SdpaResult, scaledDotProductAttention } from './sdpa.js';

/**
 * A key/value cache for incremental decoding. When a decoder produces one token at a time, the
 * keys and values of the positions it has already seen do not change (causal attention: a
 * position never looks ahead), so they are projected once and kept; each step projects only the
 * new positions, appends them, and lets the new queries attend over everything kept. That turns
 * the O(T²) projections of recomputing the whole prefix at every step into O(T).
 *
 * A cache is immutable: appending or selecting rows builds new tensors, so the hypotheses of a
 * beam search may share an old cache safely.
 */
export interface KVCache {
  /** Keys per head [B, H, t, hs] of the t positions seen so far. */
  readonly key: Tensor;
  /** Values per head [B, H, t, hs]. */
  readonly value: Tensor;
}

/** Positions held by a cache (0 for none). */
export function cacheLength(cache: KVCache | null): number {
  return cache === null ? 0 : cache.key.shape[2];
}

/**
 * The cache grown by the keys and values of new positions, key and value [B, H, tNew, hs]
 * (no copy when there is no cache yet).
 */
export function appendToCache(cache: KVCache | null, key: Tensor, value: Tensor): KVCache {
  if (
    key.ndim !== 4 ||
    value.ndim !== 4 ||
    key.shape.slice(0, 3).some((d, i) => d !== value.shape[i]) ||
    (cache !== null &&
      (key.shape[0] !== cache.key.shape[0] ||
        key.shape[1] !== cache.key.shape[1] ||
        key.shape[3] !== cache.key.shape[3] ||
        value.shape[3] !== cache.value.shape[3]))
  ) {
    const held = cache === null ? 'none' : `${fmtShape(cache.key.shape)}, ${fmtShape(cache.value.shape)}`;
    throw new ShapeError(
      `appendToCache: new key ${fmtShape(key.shape)} and value ${fmtShape(value.shape)} must be [B, H, tNew, hs] matching the cache (${held})`,
    );
  }
  if (cache === null) return { key, value };
  return { key: concat([cache.key, key], 2), value: concat([cache.value, value], 2) }; // [B, H, t + tNew, hs]
}

/**
 * The cache of rows `rows` (indices into the current rows, repeats allowed), in that order: beam
 * search expands each source into K hypotheses and reorders them after every step.
 */
export function selectCacheRows(cache: KVCache, rows: Int32Array): KVCache {
  return { key: indexSelect(cache.key, 0, rows), value: indexSelect(cache.value, 0, rows) };
}

export interface CachedAttentionOptions {
  /**
   * Extra mask over [..., tNew, t] (true = allowed, or additive float), combined with the
   * causal one: e.g. key padding as [B, 1, 1, t].
   */
  mask?: AttentionMask;
  /** Query i of the new block (position past + i) sees keys 0..past + i (default true). */
  causal?: boolean;
  /** Factor on q·kᵀ (default 1/√hs). */
  scale?: number;
  /** Dropout on the weights, active when `training`. */
  dropout?: number;
  training?: boolean;
  generator?: Generator;
  /** Return the weights (default true); false lets scaledDotProductAttention use its fused kernel. */
  needWeights?: boolean;
}

/**
 * Attention of the new queries q [B, H, tNew, hs] over a cache that already holds their own keys
 * and values as its last tNew positions → { context [B, H, tNew, hs], weights [B, H, tNew, t] }.
 *
 * With `causal`, query i is position past + i (past = t − tNew) and may see keys 0..past + i:
 * rows past..t−1 of the full causal mask, so the result equals those rows of causal attention over
 * all t positions recomputed from scratch. For one new query every cached key is allowed and no
 * mask is built; for a block starting at position 0 (training, a prompt) it is plain top-left
 * causal attention, which scaledDotProductAttention's fused kernel handles without a mask.
 */
export function attendCache(q: Tensor, cache: KVCache, options: CachedAttentionOptions = {}): SdpaResult {
  const t = cacheLength(cache);
  const tNew = q.shape[2];
  if (q.ndim !== 4 || tNew > t) {
    throw new ShapeError(
      `attendCache: queries ${fmtShape(q.shape)} must be [B, H, tNew, hs] with tNew ≤ the ${t} cached positions`,
    );
  }
  const past = t - tNew;
  const causal = (options.causal ?? true) && tNew > 1;
  return scaledDotProductAttention(q, cache.key, cache.value, {
    mask: combineMasks(options.mask, causal && past > 0 ? causalMask(tNew, t, past) : undefined),
    causal: causal && past === 0,
    scale: options.scale,
    dropout: options.dropout ?? 0,
    training: options.training ?? false,
    generator: options.generator,
    needWeights: options.needWeights ?? true,
  }); // context [B, H, tNew, hs], weights [B, H, tNew, t] (or null)
}
