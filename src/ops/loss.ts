import { attach } from '../autograd/engine.js';
import type { FloatArray } from '../backend/backend.js';
import { backendFor } from '../backend/registry.js';
import { allocate, allocateUninit, type DType, Tensor } from '../tensor/tensor.js';
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

/** The checked targets of a cross-entropy: each row's class (0 where ignored) and whether it counts. */
interface CheckedTargets {
  rows: number;
  classes: number;
  /** The target of each row, 0 for an ignored one. */
  safe: Int32Array;
  /** 1 for a row that counts, 0 for an ignored one. */
  keep: Float32Array;
  /** How many rows count. */
  kept: number;
  eps: number;
}

function checkTargets(logits: Tensor, targets: Indices, opts: CrossEntropyOptions): CheckedTargets {
  const ignore = opts.ignoreIndex ?? -100;
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
  return { rows, classes, safe, keep, kept, eps };
}

/**
 * Cross-entropy of logits [..., C] against integer targets (one per row), as
 * torch.nn.functional.cross_entropy:  ℓᵢ = −(1−ε)·log pᵢ[tᵢ] − ε/C · Σ_c log pᵢ[c].
 * With 'mean' the sum is divided by the number of non-ignored targets (NaN when there are
 * none, as PyTorch does).
 *
 * One fused op: the forward keeps log p (a row-wise log-softmax) and nothing else of size
 * [rows, C]; the backward writes the gradient in one buffer,
 *   ∂ℓᵢ/∂xᵢ = pᵢ − (1−ε)·one-hot(tᵢ) − ε/C     (times the output gradient, 0 for ignored rows),
 * where the composition ({@link crossEntropyComposed}, the reference) builds a dense gradient of
 * log p and runs the log-softmax backward over it.
 */
export function crossEntropy(logits: Tensor, targets: Indices, opts: CrossEntropyOptions = {}): Tensor {
  const reduction = opts.reduction ?? 'mean';
  const { rows, classes, safe, keep, kept, eps } = checkTargets(logits, targets, opts);
  const dtype = logits.dtype;
  const be = backendFor(dtype);
  const logp = allocateUninit(dtype, rows * classes); // [rows, C]
  be.softmax(logits.data, rows, classes, logp, true);
  let logpSums: FloatArray | null = null; // Σ_c log p[r, c], for the smoothing term
  if (eps > 0) {
    logpSums = allocate(dtype, rows);
    be.reduce('sum', logp, rows, classes, 1, logpSums);
  }
  const perRow = allocate(dtype, rows);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    if (keep[r] === 0) continue;
    let l = -(1 - eps) * logp[r * classes + safe[r]];
    if (logpSums !== null) l -= (eps / classes) * logpSums[r];
    perRow[r] = l;
    total += perRow[r];
  }
  const out =
    reduction === 'none'
      ? new Tensor(perRow, logits.shape.slice(0, -1))
      : new Tensor(fromValue(dtype, reduction === 'mean' ? total / kept : total), []);
  const saved = new Tensor(logp, [rows, classes]);
  return attach(
    out,
    'crossEntropy',
    [logits],
    (g) => {
      // coef_r: the output gradient reaching row r (÷ kept for 'mean'), 0 for an ignored row.
      const coef = allocate(dtype, rows);
      const scale = reduction === 'mean' ? 1 / kept : 1;
      for (let r = 0; r < rows; r++) {
        if (keep[r] !== 0) coef[r] = (reduction === 'none' ? g.data[r] : g.data[0]) * scale;
      }
      const dx = allocateUninit(dtype, rows * classes);
      be.unary('exp', saved.data, dx); // p = exp(log p)
      be.binary('mul', dx, [rows, classes], coef, [rows, 1], dx, [rows, classes]);
      if (eps > 0) {
        const shift = allocate(dtype, rows);
        for (let r = 0; r < rows; r++) shift[r] = (coef[r] * eps) / classes;
        be.binary('sub', dx, [rows, classes], shift, [rows, 1], dx, [rows, classes]);
      }
      for (let r = 0; r < rows; r++) {
        if (keep[r] !== 0) dx[r * classes + safe[r]] -= coef[r] * (1 - eps);
      }
      return [new Tensor(dx, logits.shape)];
    },
    [saved],
  );
}

function fromValue(dtype: DType, value: number): FloatArray {
  const a = allocate(dtype, 1);
  a[0] = value;
  return a;
}

/**
 * {@link crossEntropy} composed from log-softmax, pick and reductions: the reference the fused op
 * is tested against (same function, same gradients).
 */
export function crossEntropyComposed(
  logits: Tensor,
  targets: Indices,
  opts: CrossEntropyOptions = {},
): Tensor {
  const reduction = opts.reduction ?? 'mean';
  const { rows, classes, safe, keep, kept, eps } = checkTargets(logits, targets, opts);
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
