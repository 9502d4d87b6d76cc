import { additiveScore } from '../../ops/additive-score.js';
import { mul } from '../../ops/binary.js';
import { matmul } from '../../ops/matmul.js';
import { reshape } from '../../ops/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { fmtShape, ShapeError } from '../../util/errors.js';
import { type InitOptions, linearInitBound, uniformParam } from '../init.js';
import { Linear } from '../linear.js';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';

/**
 * Score functions: how well each query matches each key, before the softmax.
 * Every one maps query [B, Tq, Dq] and keys [B, Tk, Dk] to scores [B, Tq, Tk]
 * (the dot-product ones accept any leading batch axes, [..., Tq, D] · [..., Tk, D]).
 */
export interface Scorer {
  forward(query: Tensor, keys: Tensor): Tensor;
}

function checkPair(op: string, query: Tensor, keys: Tensor, sameDim: boolean): void {
  if (query.ndim < 2 || keys.ndim < 2) {
    throw new ShapeError(
      `${op}: query ${fmtShape(query.shape)} and keys ${fmtShape(keys.shape)} need at least 2 axes ([..., T, D])`,
    );
  }
  if (sameDim && query.shape[query.ndim - 1] !== keys.shape[keys.ndim - 1]) {
    throw new ShapeError(
      `${op}: query ${fmtShape(query.shape)} and keys ${fmtShape(keys.shape)} must end in the same size`,
    );
  }
}

function checkBatch3(op: string, query: Tensor, keys: Tensor): void {
  if (query.ndim !== 3 || keys.ndim !== 3 || query.shape[0] !== keys.shape[0]) {
    throw new ShapeError(
      `${op}: expected query [B, Tq, Dq] and keys [B, Tk, Dk] with one B, got ${fmtShape(query.shape)} and ${fmtShape(keys.shape)}`,
    );
  }
}

/**
 * Dot-product score (seed 001; Luong "dot"): score(q, k) = q·k, for all pairs at once
 * as q·Kᵀ: [..., Tq, D] · [..., Tk, D]ᵀ → [..., Tq, Tk].
 */
export function dotScores(query: Tensor, keys: Tensor): Tensor {
  checkPair('dotScores', query, keys, true);
  return matmul(query, keys, { transB: true }); // [..., Tq, Tk]
}

/**
 * Scaled dot-product score (Vaswani et al. 2017, eq. 1): q·k / √d, so the logits keep unit
 * variance as d grows and the softmax does not saturate.
 */
export function scaledDotScores(query: Tensor, keys: Tensor): Tensor {
  checkPair('scaledDotScores', query, keys, true);
  const d = query.shape[query.ndim - 1];
  return mul(matmul(query, keys, { transB: true }), 1 / Math.sqrt(d)); // [..., Tq, Tk]
}

/** {@link dotScores} as a Scorer. */
export const dotScorer: Scorer = { forward: dotScores };
/** {@link scaledDotScores} as a Scorer. */
export const scaledDotScorer: Scorer = { forward: scaledDotScores };

/**
 * Luong's "general" (bilinear) score: score(q, k) = q·W·kᵀ with W [Dq, Dk] (param 'weight').
 * W is initialised as nn.Linear(Dk, Dq, bias=False).weight, U(±1/√Dk), which it is: W·k is a
 * bias-free linear map of the key into query space (JoeyNMT's LuongAttention.key_layer).
 */
export class GeneralScore extends Module implements Scorer {
  readonly weight: Parameter;

  constructor(
    readonly queryDim: number,
    readonly keyDim: number,
    init?: InitOptions,
  ) {
    super();
    this.weight = this.addParameter(
      'weight',
      uniformParam([queryDim, keyDim], linearInitBound(keyDim), init),
    );
  }

  /** query [B, Tq, Dq], keys [B, Tk, Dk] → scores [B, Tq, Tk]. */
  forward(query: Tensor, keys: Tensor): Tensor {
    checkPair('GeneralScore', query, keys, false);
    if (query.shape[query.ndim - 1] !== this.queryDim || keys.shape[keys.ndim - 1] !== this.keyDim) {
      throw new ShapeError(
        `GeneralScore(${this.queryDim}, ${this.keyDim}): query ${fmtShape(query.shape)} must end in ${this.queryDim} and keys ${fmtShape(keys.shape)} in ${this.keyDim}`,
      );
    }
    // Project the queries, not the keys: a decoder scores one query per step against Tk keys.
    const qw = matmul(query, this.weight); // [..., Tq, Dk]
    return matmul(qw, keys, { transB: true }); // [..., Tq, Tk]
  }
}

/**
 * Bahdanau's additive ("concat") score (Bahdanau et al. 2014, eq. 6 / appendix A.1.2; seed 002's
 * small fully-connected network): score(q, k) = vᵀ·tanh(W₁q + W₂k).
 *   queryProj: W₁, Linear(Dq → A), no bias
 *   keyProj:   W₂, Linear(Dk → A), with the one bias of the sum
 *   energy:    v,  Linear(A → 1), no bias
 * W₂k is computed once per key and W₁q once per query; every pair then meets in one fused op
 * (additiveScore: v·tanh(W₁q + W₂k) without storing the [B, Tq, Tk, A] energies), rather than
 * Tq·Tk concatenations.
 */
export class AdditiveScore extends Module implements Scorer {
  readonly queryProj: Linear;
  readonly keyProj: Linear;
  readonly energy: Linear;

  constructor(
    readonly queryDim: number,
    readonly keyDim: number,
    readonly attnDim: number,
    init?: InitOptions,
  ) {
    super();
    this.queryProj = this.addModule('queryProj', new Linear(queryDim, attnDim, { bias: false }, init));
    this.keyProj = this.addModule('keyProj', new Linear(keyDim, attnDim, {}, init));
    this.energy = this.addModule('energy', new Linear(attnDim, 1, { bias: false }, init));
  }

  /** W₂k + b for every key: [B, Tk, Dk] → [B, Tk, A]. Decoders may compute it once per sentence. */
  projectKeys(keys: Tensor): Tensor {
    return this.keyProj.forward(keys);
  }

  /** Scores from keys already passed through {@link projectKeys}: [B, Tq, Dq], [B, Tk, A] → [B, Tq, Tk]. */
  scoreProjected(query: Tensor, projectedKeys: Tensor): Tensor {
    const name = `AdditiveScore(${this.queryDim}, ${this.keyDim}, ${this.attnDim})`;
    checkBatch3(name, query, projectedKeys);
    if (query.shape[2] !== this.queryDim || projectedKeys.shape[2] !== this.attnDim) {
      throw new ShapeError(
        `${name}: query ${fmtShape(query.shape)} must end in ${this.queryDim} and projected keys ${fmtShape(projectedKeys.shape)} in ${this.attnDim}`,
      );
    }
    const v = reshape(this.energy.weight, [this.attnDim]);
    return additiveScore(this.queryProj.forward(query), projectedKeys, v); // [B, Tq, Tk]
  }

  /** query [B, Tq, Dq], keys [B, Tk, Dk] → scores [B, Tq, Tk]. */
  forward(query: Tensor, keys: Tensor): Tensor {
    const name = `AdditiveScore(${this.queryDim}, ${this.keyDim}, ${this.attnDim})`;
    checkBatch3(name, query, keys);
    if (keys.shape[2] !== this.keyDim) {
      throw new ShapeError(`${name}: keys ${fmtShape(keys.shape)} must end in ${this.keyDim}`);
    }
    return this.scoreProjected(query, this.projectKeys(keys));
  }
}
