import { add, div, mul, type Operand, sub } from '../ops/binary.js';
import { fromArray, zerosLike } from '../ops/creation.js';
import { type Indices, pick } from '../ops/indexing.js';
import { mean, sum } from '../ops/reduce.js';
import { reshape, slice, stack } from '../ops/shape.js';
import { logSoftmax } from '../ops/softmax.js';
import { neg } from '../ops/unary.js';
import type { Tensor } from '../tensor/tensor.js';
import { fmtShape, HeedError, ShapeError } from '../util/errors.js';

/**
 * Losses composed from existing ops (their gradients come from the ops). crossEntropy lives in
 * ops/loss.ts; these are its companions.
 */

export type Reduction = 'mean' | 'sum' | 'none';

export interface NllLossOptions {
  /** Targets equal to this contribute nothing (PyTorch's default −100). */
  ignoreIndex?: number;
  /** 'mean' over non-ignored targets (default), 'sum', or 'none' (one loss per target). */
  reduction?: Reduction;
}

/**
 * Negative log-likelihood of log-probabilities [..., C] (classes on the last axis, as
 * crossEntropy) against integer targets, one per row, as torch.nn.functional.nll_loss:
 * ℓᵢ = −logProbs[i, tᵢ]. With 'mean' the sum is divided by the number of non-ignored targets
 * (NaN when there are none, as PyTorch). nllLoss(logSoftmax(x), t) equals crossEntropy(x, t).
 */
export function nllLoss(logProbs: Tensor, targets: Indices, opts: NllLossOptions = {}): Tensor {
  const ignore = opts.ignoreIndex ?? -100;
  const reduction = opts.reduction ?? 'mean';
  if (logProbs.ndim < 1) throw new ShapeError('nllLoss: logProbs must have a class axis');
  const classes = logProbs.shape[logProbs.ndim - 1];
  const rows = classes === 0 ? 0 : logProbs.size / classes;
  if (targets.length !== rows) {
    throw new ShapeError(
      `nllLoss: ${targets.length} targets for logProbs ${fmtShape(logProbs.shape)} (${rows} rows expected)`,
    );
  }
  const safe = new Int32Array(rows);
  const keep = new Float32Array(rows);
  let kept = 0;
  for (let r = 0; r < rows; r++) {
    const t = targets[r];
    if (t === ignore) continue;
    if (!Number.isInteger(t) || t < 0 || t >= classes) {
      throw new HeedError(`nllLoss: target ${t} at position ${r} is out of range for ${classes} classes`);
    }
    safe[r] = t;
    keep[r] = 1;
    kept++;
  }
  const perRow = neg(pick(reshape(logProbs, [rows, classes]), safe)); // [rows]
  const masked = mul(perRow, fromArray(keep, [rows], { dtype: logProbs.dtype }));
  if (reduction === 'none') return reshape(masked, logProbs.shape.slice(0, -1));
  const total = sum(masked);
  return reduction === 'sum' ? total : div(total, kept);
}

export interface BceWithLogitsOptions {
  /** 'mean' over all elements (default), 'sum', or 'none'. */
  reduction?: Reduction;
  /** Weight p of the positive term, broadcast against the logits (e.g. [C] per class). */
  posWeight?: Operand;
}

/**
 * Binary cross-entropy on logits, as torch.nn.functional.binary_cross_entropy_with_logits:
 *   ℓ = −[p·y·log σ(x) + (1 − y)·log σ(−x)]
 *     = max(x, 0) − x·y + log(1 + e^−|x|)            (p = 1)
 * Targets y are probabilities of the logits' shape. log σ(x) and log σ(−x) are taken as the
 * log-softmax of the pair (0, x), which is that stable form with a gradient that is exact
 * everywhere (σ(x) − y at p = 1), including at x = 0 where max and |·| have kinks.
 */
export function binaryCrossEntropyWithLogits(
  logits: Tensor,
  targets: Tensor,
  opts: BceWithLogitsOptions = {},
): Tensor {
  const reduction = opts.reduction ?? 'mean';
  if (targets.ndim !== logits.ndim || targets.shape.some((d, i) => d !== logits.shape[i])) {
    throw new ShapeError(
      `binaryCrossEntropyWithLogits: targets ${fmtShape(targets.shape)} must have the logits' shape ${fmtShape(logits.shape)}`,
    );
  }
  const pair = logSoftmax(stack([zerosLike(logits), logits], -1), -1); // [..., 2]: log σ(−x), log σ(x)
  const logNeg = reshape(slice(pair, -1, 0, 1), logits.shape);
  const logPos = reshape(slice(pair, -1, 1, 2), logits.shape);
  const positive = opts.posWeight === undefined ? targets : mul(targets, opts.posWeight);
  const loss = neg(add(mul(logPos, positive), mul(logNeg, sub(1, targets))));
  if (reduction === 'none') return loss;
  return reduction === 'sum' ? sum(loss) : mean(loss);
}
