import { mul } from '../../ops/binary.js';
import { broadcastShapes } from '../../ops/broadcast.js';
import { flashAttention, flashAttentionWithWeights } from '../../ops/flash-attention.js';
import { matmul } from '../../ops/matmul.js';
import { Mask } from '../../tensor/mask.js';
import type { Tensor } from '../../tensor/tensor.js';
import { fmtShape, HeedError, ShapeError } from '../../util/errors.js';
import type { Generator } from '../../util/random.js';
import { attend } from './attend.js';
import { type AttentionMask, causalMask, checkMaskShape, maskScores } from './masking.js';
import type { AttentionResult } from './types.js';

export interface SdpaOptions {
  /**
   * A boolean Mask (true = may attend, as torch's F.scaled_dot_product_attention) or a float
   * Tensor added to the scores; either broadcasts against the scores [..., Tq, Tk].
   */
  mask?: AttentionMask;
  /** Causal attention, top-left aligned as PyTorch: query i sees keys 0..i. Combines with `mask`. */
  causal?: boolean;
  /** The factor on q·kᵀ (default 1/√D). */
  scale?: number;
  /** Dropout probability on the weights (default 0), active when `training` (default true). */
  dropout?: number;
  training?: boolean;
  generator?: Generator;
  /**
   * Return the weights (default true). With false, no dropout in effect and a boolean mask (or
   * none), the fused {@link flashAttention} computes the context without storing the weights.
   */
  needWeights?: boolean;
}

/**
 * Whether the fused flash kernel computes the context: no weights wanted, no dropout in effect,
 * and a boolean mask or none (a float mask is added to the scores, which the kernel never holds).
 */
export function flashApplies(options: SdpaOptions): options is SdpaOptions & { mask?: Mask } {
  const dropoutActive = (options.dropout ?? 0) > 0 && (options.training ?? true);
  const mask = options.mask;
  return options.needWeights === false && !dropoutActive && (mask === undefined || mask instanceof Mask);
}

/** {@link AttentionResult} whose weights may be absent (`needWeights: false`). */
export interface SdpaResult {
  context: Tensor;
  weights: Tensor | null;
}

/**
 * Scaled dot-product attention (Vaswani et al. 2017, eq. 1):
 *   Attention(Q, K, V) = softmax(Q·Kᵀ · scale + mask) · V,   scale = 1/√D by default.
 * q [..., Tq, D], k [..., Tk, D], v [..., Tk, Dv] (leading axes broadcast, e.g. [B, H, T, hs])
 * → { context [..., Tq, Dv], weights [..., Tq, Tk] }.
 *
 * A query row with every key masked gets zero weights and a zero context, not PyTorch's NaN.
 * With dropout, the context uses dropped-out weights while the returned weights are the softmax
 * itself. Three implementations of one function: without dropout or a float mask, the fused
 * `flashAttention` op computes the context in O(Tq) memory per head instead of O(Tq·Tk) when no
 * weights are wanted (`needWeights: false`), and `flashAttentionWithWeights` keeps just one
 * [..., Tq, Tk] array, the weights, when they are; with dropout or a float mask,
 * {@link composedAttention}, the composition of ops that is the reference for both.
 */
export function scaledDotProductAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options?: SdpaOptions & { needWeights?: true },
): AttentionResult;
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options: SdpaOptions): SdpaResult;
export function scaledDotProductAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: SdpaOptions = {},
): SdpaResult {
  const op = 'scaledDotProductAttention';
  const d = q.shape[q.ndim - 1];
  if (
    q.ndim < 2 ||
    k.ndim < 2 ||
    v.ndim < 2 ||
    k.shape[k.ndim - 1] !== d ||
    k.shape[k.ndim - 2] !== v.shape[v.ndim - 2]
  ) {
    throw new ShapeError(
      `${op}: expected q [..., Tq, D], k [..., Tk, D], v [..., Tk, Dv]; got ${fmtShape(q.shape)}, ${fmtShape(k.shape)}, ${fmtShape(v.shape)}`,
    );
  }
  const batch = broadcastShapes(
    op,
    broadcastShapes(op, q.shape.slice(0, -2), k.shape.slice(0, -2)),
    v.shape.slice(0, -2),
  );
  const tq = q.shape[q.ndim - 2];
  const tk = k.shape[k.ndim - 2];
  const scale = options.scale ?? 1 / Math.sqrt(d);
  if (!Number.isFinite(scale)) throw new HeedError(`${op}: scale must be finite, got ${scale}`);
  if (options.mask !== undefined) checkMaskShape(op, options.mask.shape, [...batch, tq, tk]);

  if (flashApplies(options)) {
    const context = flashAttention(q, k, v, { causal: options.causal ?? false, scale, mask: options.mask }); // [..., Tq, Dv]
    return { context, weights: null };
  }
  const dropoutActive = (options.dropout ?? 0) > 0 && (options.training ?? true);
  const mask = options.mask;
  const { context, weights } =
    !dropoutActive && (mask === undefined || mask instanceof Mask)
      ? flashAttentionWithWeights(q, k, v, { causal: options.causal ?? false, scale, mask })
      : composedAttention(q, k, v, { ...options, scale }); // [..., Tq, Dv], [..., Tq, Tk]
  return { context, weights: options.needWeights === false ? null : weights };
}

/**
 * Scaled dot-product attention composed from ops — matmul, scale, mask, softmax, dropout,
 * matmul — with {@link scaledDotProductAttention}'s arguments (shapes already checked there):
 * the reference the fused ops are tested against, and the path dropout takes.
 */
export function composedAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: SdpaOptions = {},
): AttentionResult {
  const tq = q.shape[q.ndim - 2];
  const tk = k.shape[k.ndim - 2];
  const scale = options.scale ?? 1 / Math.sqrt(q.shape[q.ndim - 1]);
  const scores = mul(matmul(q, k, { transB: true }), scale); // [..., Tq, Tk]
  const causal = options.causal
    ? maskScores('scaledDotProductAttention', scores, causalMask(tq, tk))
    : scores;
  return attend(causal, v, options.mask, {
    dropout: options.dropout ?? 0,
    training: options.training ?? true,
    generator: options.generator,
  }); // [..., Tq, Dv], [..., Tq, Tk]
}
