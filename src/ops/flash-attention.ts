import { attach } from '../autograd/engine.js';
import type { AttentionMaskLayout, AttentionParams } from '../backend/backend.js';
import { backendFor } from '../backend/registry.js';
import type { Mask } from '../tensor/mask.js';
import { allocate, shapeSize, Tensor } from '../tensor/tensor.js';
import { fmtShape, HeedError, ShapeError } from '../util/errors.js';
import { asDType, broadcastShapes, padShape, promote } from './broadcast.js';
import { expand } from './shape.js';

export interface FlashAttentionOptions {
  /** Query i sees keys 0..i (top-left aligned, as PyTorch's `is_causal`); combines with `mask`. */
  causal?: boolean;
  /** The factor on q·kᵀ (default 1/√D). */
  scale?: number;
  /** true = attention ALLOWED (heed's convention); broadcasts against the scores [..., Tq, Tk]. */
  mask?: Mask;
}

/**
 * Scaled dot-product attention as one fused op (FlashAttention, Dao et al. 2022):
 *   flashAttention(q, k, v) = softmax(q·kᵀ·scale, masked)·v
 * q [..., Tq, D], k [..., Tk, D], v [..., Tk, Dv] (leading axes broadcast) → [..., Tq, Dv].
 *
 * The same function as the context of the composed `scaledDotProductAttention` (which stays the
 * reference and the only way to get the weights), but the [..., Tq, Tk] scores and weights are
 * never stored: the kernels work through tiles with an online softmax and keep only the row
 * log-sum-exp L [..., Tq]. A query whose keys are all masked gets a zero output and zero
 * gradients, never NaN.
 *
 * Backward (FlashAttention-2, Algorithm 2): recomputes the weights tile by tile from L.
 * Saves q, k, v, the output and L.
 */
export function flashAttention(q: Tensor, k: Tensor, v: Tensor, options: FlashAttentionOptions = {}): Tensor {
  const op = 'flashAttention';
  if (
    q.ndim < 2 ||
    k.ndim < 2 ||
    v.ndim < 2 ||
    k.shape[k.ndim - 1] !== q.shape[q.ndim - 1] ||
    k.shape[k.ndim - 2] !== v.shape[v.ndim - 2]
  ) {
    throw new ShapeError(
      `${op}: expected q [..., Tq, D], k [..., Tk, D], v [..., Tk, Dv]; got ${fmtShape(q.shape)}, ${fmtShape(k.shape)}, ${fmtShape(v.shape)}`,
    );
  }
  const tq = q.shape[q.ndim - 2];
  const d = q.shape[q.ndim - 1];
  const tk = k.shape[k.ndim - 2];
  const dv = v.shape[v.ndim - 1];
  const batch = broadcastShapes(
    op,
    broadcastShapes(op, q.shape.slice(0, -2), k.shape.slice(0, -2)),
    v.shape.slice(0, -2),
  );
  const scale = options.scale ?? 1 / Math.sqrt(d);
  if (!Number.isFinite(scale)) throw new HeedError(`${op}: scale must be finite, got ${scale}`);
  const bh = shapeSize(batch);
  const mask = options.mask === undefined ? null : attentionMaskLayout(op, options.mask, batch, tq, tk);

  // Inputs whose leading axes are broadcast are expanded (the expand carries the gradient back).
  const fit = (t: Tensor): Tensor =>
    t.ndim - 2 === batch.length && t.shape.every((n, i) => i >= batch.length || n === batch[i])
      ? t
      : expand(t, [...batch, ...t.shape.slice(-2)]);
  const [qe, ke, ve] = [fit(q), fit(k), fit(v)];
  const dtype = promote(promote(qe.dtype, ke.dtype), ve.dtype);
  const be = backendFor(dtype);
  const p: AttentionParams = {
    bh,
    tq,
    tk,
    d,
    dv,
    scale,
    causal: options.causal ?? false,
    q: asDType(qe, dtype).data,
    k: asDType(ke, dtype).data,
    v: asDType(ve, dtype).data,
    mask,
  };
  const out = allocate(dtype, bh * tq * dv);
  const lse = allocate(dtype, bh * tq); // L: the row log-sum-exp, −∞ for a fully masked row
  be.attentionForward(p, out, lse);
  const result = new Tensor(out, [...batch, tq, dv]);
  return attach(result, op, [qe, ke, ve], (g) => {
    const dq = allocate(dtype, bh * tq * d);
    const dk = allocate(dtype, bh * tk * d);
    const dvOut = allocate(dtype, bh * tk * dv);
    be.attentionBackward(p, out, lse, asDType(g, dtype).data, dq, dk, dvOut);
    return [new Tensor(dq, qe.shape), new Tensor(dk, ke.shape), new Tensor(dvOut, ve.shape)];
  });
}

/**
 * A boolean mask's layout over the flattened heads ({@link AttentionMaskLayout}). Masks whose
 * batch axes are kept in one leading run and broadcast in the rest, or the reverse (every mask
 * multi-head attention builds: [Tq, Tk], [B, 1, 1, Tk], [B, 1, Tq, Tk], [B, H, Tq, Tk]) are read
 * in place; any other is expanded to [BH, Tq or 1, Tk] bytes.
 */
export function attentionMaskLayout(
  op: string,
  mask: Mask,
  batch: readonly number[],
  tq: number,
  tk: number,
): AttentionMaskLayout {
  const target = [...batch, tq, tk];
  const rank = target.length;
  const ms = padShape(mask.shape, Math.max(rank, mask.shape.length));
  if (ms.length > rank || ms.some((n, i) => n !== 1 && n !== target[i])) {
    throw new ShapeError(
      `${op}: mask ${fmtShape(mask.shape)} does not broadcast against the scores ${fmtShape(target)}`,
    );
  }
  const mq = ms[rank - 2];
  const block = mq * tk; // mask bytes per head it holds
  const strideQ = mq === 1 ? 0 : tk;
  // Batch axes that matter (size > 1), each kept by the mask or broadcast; two runs at most.
  const axes = batch.map((n, i) => ({ n, kept: ms[i] === n })).filter((a) => a.n > 1);
  let cut = 0;
  while (cut < axes.length && axes[cut].kept === axes[0].kept) cut++;
  const inner = axes.slice(cut);
  const inPlace = ms[rank - 1] === tk && inner.every((a) => a.kept === inner[0].kept);
  if (inPlace) {
    const outerKept = cut > 0 && axes[0].kept;
    const innerKept = inner.length > 0 && inner[0].kept;
    return {
      data: mask.data,
      heads: inner.reduce((h, a) => h * a.n, 1),
      strideB: outerKept ? block : 0,
      strideH: innerKept ? block : 0,
      strideQ,
    };
  }
  return { data: expandMask(mask, ms, [...batch, mq, tk]), heads: 1, strideB: block, strideH: 0, strideQ };
}

/** The bytes of `mask` (padded shape `ms`) broadcast to `shape`, row-major. */
function expandMask(mask: Mask, ms: readonly number[], shape: readonly number[]): Uint8Array {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  for (let i = rank - 1, acc = 1; i >= 0; i--) {
    strides[i] = ms[i] === 1 ? 0 : acc;
    acc *= ms[i];
  }
  const out = new Uint8Array(shapeSize(shape));
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = mask.data[src];
    for (let i = rank - 1; i >= 0; i--) {
      src += strides[i];
      if (++idx[i] < shape[i]) break;
      src -= idx[i] * strides[i];
      idx[i] = 0;
    }
  }
  return out;
}
