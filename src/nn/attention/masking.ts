import { add } from '../../ops/binary.js';
import { where } from '../../ops/where.js';
import { Mask } from '../../tensor/mask.js';
import { shapeSize, Tensor } from '../../tensor/tensor.js';
import { fmtShape, HeedError, ShapeError } from '../../util/errors.js';

/**
 * Attention masks. Convention (see types.ts): a boolean Mask is true where attention is
 * ALLOWED; a float Tensor mask is ADDED to the scores (0 = allowed, −∞ = blocked, anything else
 * a bias). Blocked scores become −∞ *before* the softmax (never a large negative number), so a
 * row with every key blocked is all −∞ and the softmax maps it to zeros: zero weights, zero
 * context, and a zero (finite) gradient, where PyTorch would give NaN (PyTorch #103963).
 */
export type AttentionMask = Mask | Tensor;

/**
 * Lower-triangular mask [Tq, Tk]: query i may see key j iff j ≤ i + diagonal (top-left aligned,
 * as PyTorch's `is_causal`). diagonal −1 makes it strict: query i sees only keys before it.
 */
export function causalMask(tq: number, tk: number, diagonal = 0): Mask {
  const data = new Uint8Array(tq * tk);
  for (let i = 0; i < tq; i++) {
    for (let j = 0; j < tk && j <= i + diagonal; j++) data[i * tk + j] = 1;
  }
  return new Mask(data, [tq, tk]);
}

/** Lengths → mask [B, T], true for the first lengths[b] steps of row b (the real tokens). */
export function lengthsMask(lengths: ArrayLike<number>, maxLen: number): Mask {
  const b = lengths.length;
  const data = new Uint8Array(b * maxLen);
  for (let i = 0; i < b; i++) {
    const n = lengths[i];
    if (!Number.isInteger(n) || n < 0 || n > maxLen) {
      throw new HeedError(`lengthsMask: length ${n} of row ${i} is not an integer in [0, ${maxLen}]`);
    }
    data.fill(1, i * maxLen, i * maxLen + n);
  }
  return new Mask(data, [b, maxLen]);
}

/** The same mask values viewed in another shape of the same size (e.g. [B, Tk] → [B, 1, Tk]). */
export function reshapeMask(mask: Mask, shape: readonly number[]): Mask {
  if (shapeSize(shape) !== mask.size) {
    throw new ShapeError(`reshapeMask: cannot view mask ${fmtShape(mask.shape)} as ${fmtShape(shape)}`);
  }
  return new Mask(mask.data, shape);
}

/**
 * Throws unless a mask of `maskShape` broadcasts against `target` without enlarging it: at most
 * as many axes, each equal or 1. The message names the op and both shapes.
 */
export function checkMaskShape(op: string, maskShape: readonly number[], target: readonly number[]): void {
  const offset = target.length - maskShape.length;
  if (offset < 0 || maskShape.some((d, i) => d !== 1 && d !== target[offset + i])) {
    throw new ShapeError(
      `${op}: mask ${fmtShape(maskShape)} does not broadcast against the scores ${fmtShape(target)}`,
    );
  }
}

/**
 * Logical AND of two masks with broadcasting (a key must be allowed by both). Masks carry no
 * gradient, so this is plain data work.
 */
export function andMasks(a: Mask, b: Mask): Mask {
  const rank = Math.max(a.shape.length, b.shape.length);
  const pa = [...new Array<number>(rank - a.shape.length).fill(1), ...a.shape];
  const pb = [...new Array<number>(rank - b.shape.length).fill(1), ...b.shape];
  const shape = pa.map((d, i) => {
    if (d !== pb[i] && d !== 1 && pb[i] !== 1) {
      throw new ShapeError(`andMasks: masks ${fmtShape(a.shape)} and ${fmtShape(b.shape)} do not broadcast`);
    }
    return d === 1 ? pb[i] : d;
  });
  const strides = (s: number[]): number[] => {
    const out = new Array<number>(rank);
    let acc = 1;
    for (let d = rank - 1; d >= 0; d--) {
      out[d] = s[d] === 1 ? 0 : acc;
      acc *= s[d];
    }
    return out;
  };
  const sa = strides(pa);
  const sb = strides(pb);
  const n = shapeSize(shape);
  const out = new Uint8Array(n);
  const idx = new Array<number>(rank).fill(0);
  for (let k = 0; k < n; k++) {
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < rank; d++) {
      ia += idx[d] * sa[d];
      ib += idx[d] * sb[d];
    }
    out[k] = a.data[ia] & b.data[ib];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return new Mask(out, shape);
}

/**
 * Applies a mask to scores [..., Tq, Tk]: where(mask, scores, −∞) for a boolean mask, scores +
 * mask for a float one. Blocked positions get no gradient (where's backward routes g only where
 * the mask holds).
 */
export function maskScores(op: string, scores: Tensor, mask: AttentionMask | undefined): Tensor {
  if (mask === undefined) return scores;
  checkMaskShape(op, mask.shape, scores.shape);
  if (mask instanceof Mask) return where(mask, scores, Number.NEGATIVE_INFINITY);
  return add(scores, mask);
}

/**
 * Combines two masks into one: AND for two boolean masks; for a float mask and a boolean one,
 * the boolean becomes an additive 0/−∞ mask and the two add (PyTorch merges
 * key_padding_mask into a float attn_mask the same way).
 */
export function combineMasks(
  a: AttentionMask | undefined,
  b: AttentionMask | undefined,
): AttentionMask | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (a instanceof Mask && b instanceof Mask) return andMasks(a, b);
  const dtype = a instanceof Tensor ? a.dtype : b instanceof Tensor ? b.dtype : 'float32';
  const asFloat = (m: AttentionMask): Tensor =>
    m instanceof Mask ? where(m, zeroOf(dtype), Number.NEGATIVE_INFINITY) : m;
  return add(asFloat(a), asFloat(b));
}

function zeroOf(dtype: 'float32' | 'float64'): Tensor {
  return new Tensor(dtype === 'float64' ? new Float64Array(1) : new Float32Array(1), []);
}
