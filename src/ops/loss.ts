import type { Tensor } from '../tensor/tensor.js';
import { fmtShape, HeedError, ShapeError } from '../util/errors.js';
import { add, div, mul } from './binary.js';
import { fromArray } from './creation.js';
import { type Indices, pick } from './indexing.js';
import { mean, sum } from './reduce.js';
import { reshape } from './shape.js';
import { logSoftmax } from './softmax.js';
import { neg } from './unary.js';

export interface CrossEntropyOptions {
  /** Targets equal to this contribute nothing (PyTorch's default −100). */
  ignoreIndex?: number;
  /** 'mean' over non-ignored targets (default), 'sum', or 'none' (one loss per target). */
  reduction?: 'mean' | 'sum' | 'none';
  /** ε of label smoothing: the target distribution is (1−ε)·one-hot + ε/C. */
  labelSmoothing?: number;
}

/**
 * Cross-entropy of logits [..., C] against integer targets (one per row), as
 * torch.nn.functional.cross_entropy:  ℓᵢ = −(1−ε)·log pᵢ[tᵢ] − ε/C · Σ_c log pᵢ[c].
 * With 'mean' the sum is divided by the number of non-ignored targets (NaN when there are
 * none, as PyTorch does).
 */
export function crossEntropy(logits: Tensor, targets: Indices, opts: CrossEntropyOptions = {}): Tensor {
  const ignore = opts.ignoreIndex ?? -100;
  const reduction = opts.reduction ?? 'mean';
  const eps = opts.labelSmoothing ?? 0;
  if (logits.ndim < 1) throw new ShapeError('crossEntropy: logits must have a class axis');
  const classes = logits.shape[logits.ndim - 1];
  const rows = logits.size / classes;
  if (targets.length !== rows) {
    throw new ShapeError(
      `crossEntropy: ${targets.length} targets for logits ${fmtShape(logits.shape)} (${rows} rows expected)`,
    );
  }
  if (!(eps >= 0 && eps <= 1))
    throw new HeedError(`crossEntropy: labelSmoothing must be in [0, 1], got ${eps}`);
  const safe = new Int32Array(rows);
  const keep = new Float32Array(rows);
  let kept = 0;
  for (let r = 0; r < rows; r++) {
    const t = targets[r];
    if (t === ignore) continue;
    if (!Number.isInteger(t) || t < 0 || t >= classes) {
      throw new HeedError(
        `crossEntropy: target ${t} at position ${r} is out of range for ${classes} classes`,
      );
    }
    safe[r] = t;
    keep[r] = 1;
    kept++;
  }
  const flat = reshape(logits, [rows, classes]);
  const logp = logSoftmax(flat, -1);
  let perRow = neg(pick(logp, safe)); // [rows]
  if (eps > 0) {
    perRow = add(mul(perRow, 1 - eps), mul(neg(mean(logp, -1)), eps));
  }
  const weights = fromArray(keep, [rows], { dtype: logits.dtype });
  const masked = mul(perRow, weights);
  if (reduction === 'none') return reshape(masked, logits.shape.slice(0, -1));
  const total = sum(masked);
  return reduction === 'sum' ? total : div(total, kept);
}
