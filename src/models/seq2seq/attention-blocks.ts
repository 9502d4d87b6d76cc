import { attend } from '../../nn/attention/attend.js';
import { AttentionLayer, SelfAttention } from '../../nn/attention/attention-layer.js';
import { causalMask } from '../../nn/attention/masking.js';
import { dotScores, scaledDotScores } from '../../nn/attention/scores.js';
import { Dropout } from '../../nn/dropout.js';
import type { InitOptions } from '../../nn/init.js';
import { LayerNorm } from '../../nn/layernorm.js';
import { Linear } from '../../nn/linear.js';
import { Module } from '../../nn/module.js';
import { add } from '../../ops/binary.js';
import { indexSelect } from '../../ops/indexing.js';
import { concat } from '../../ops/shape.js';
import { relu } from '../../ops/unary.js';
import type { Mask } from '../../tensor/mask.js';
import type { Tensor } from '../../tensor/tensor.js';

/**
 * The two blocks of {@link AttentionSeq2Seq} (seed 004, "attention without RNN"): an encoder
 * block around a self-attention layer C = Attn(X, X), and a decoder block around a causal
 * self-attention and the attention layer C = Attn(X, X′). Each attention is followed by a
 * residual connection and LayerNorm (post-norm, as Vaswani et al. 2017 §3.1), and each block
 * ends in a small position-wise feed-forward network, FFN(x) = W₂·relu(W₁x + b₁) + b₂: without
 * it every output would be a convex combination of linear maps of the inputs, and the model
 * could not transform a token beyond reweighting.
 */

/** Sizes and switches every block shares. */
export interface BlockSizes {
  dModel: number;
  dFeedforward: number;
  dropout: number;
  /** Scores divided by √d (Vaswani); seed 004 has no scale. */
  scale: boolean;
}

/** FFN(x) = W₂·dropout(relu(W₁x + b₁)) + b₂ (`linear1`, `linear2`). */
export class FeedForward extends Module {
  readonly linear1: Linear;
  readonly dropout: Dropout;
  readonly linear2: Linear;

  constructor(dModel: number, dFeedforward: number, dropout: number, init?: InitOptions) {
    super();
    this.linear1 = this.addModule('linear1', new Linear(dModel, dFeedforward, {}, init));
    this.dropout = this.addModule('dropout', new Dropout(dropout));
    this.linear2 = this.addModule('linear2', new Linear(dFeedforward, dModel, {}, init));
  }

  /** x [..., d] → [..., d]. */
  forward(x: Tensor): Tensor {
    return this.linear2.forward(this.dropout.forward(relu(this.linear1.forward(x))));
  }
}

/** x = norm1(x + SelfAttn(x)); x = norm2(x + FFN(x)). */
export class AttentionEncoderBlock extends Module {
  readonly selfAttn: SelfAttention;
  readonly norm1: LayerNorm;
  readonly feedForward: FeedForward;
  readonly norm2: LayerNorm;
  readonly dropout: Dropout;

  constructor(s: BlockSizes, init?: InitOptions) {
    super();
    const d = s.dModel;
    this.selfAttn = this.addModule('selfAttn', new SelfAttention(d, d, d, { scale: s.scale }, init));
    this.norm1 = this.addModule('norm1', new LayerNorm(d, {}, init));
    this.feedForward = this.addModule('feedForward', new FeedForward(d, s.dFeedforward, s.dropout, init));
    this.norm2 = this.addModule('norm2', new LayerNorm(d, {}, init));
    this.dropout = this.addModule('dropout', new Dropout(s.dropout));
  }

  /** x [B, Ts, d], srcMask [B, 1, Ts] (padding is no key) → out [B, Ts, d], weights [B, Ts, Ts]. */
  forward(x: Tensor, srcMask: Mask): { out: Tensor; weights: Tensor } {
    const sa = this.selfAttn.forward(x, srcMask); // C = Attn(X, X)
    const h = this.norm1.forward(add(x, this.dropout.forward(sa.context)));
    const out = this.norm2.forward(add(h, this.dropout.forward(this.feedForward.forward(h))));
    return { out, weights: sa.weights };
  }
}

/** What the decoder block keeps between decoding steps. */
export interface DecoderCache {
  /** Self-attention keys and values of the positions so far [R, t, d] (null before the first). */
  selfKeys: Tensor | null;
  selfValues: Tensor | null;
  /** The cross-attention's keys W_K·x_i and values W_V·x_i of the encoder outputs [R, Ts, d]. */
  crossKeys: Tensor;
  crossValues: Tensor;
  /** [R, 1, Ts], true at real source tokens. */
  srcMask: Mask;
}

/** The part of the cache that depends only on the source. */
export type CrossCache = Pick<DecoderCache, 'crossKeys' | 'crossValues' | 'srcMask'>;

export interface DecoderBlockOutput {
  out: Tensor;
  /** [B, Tt, Tt] (lower triangular). */
  selfWeights: Tensor;
  /** C = Attn(X, X′)'s weights over the source [B, Tt, Ts]. */
  crossWeights: Tensor;
}

/**
 * y = norm1(y + CausalSelfAttn(y)); y = norm2(y + Attn(X, y)); y = norm3(y + FFN(y)).
 * The causal mask (true = allowed: the lower triangle) keeps position j from seeing later
 * target tokens, so teacher forcing computes every position at once and decoding one at a time
 * gives the same numbers (`step` with a key/value cache).
 */
export class AttentionDecoderBlock extends Module {
  readonly selfAttn: SelfAttention;
  readonly norm1: LayerNorm;
  readonly crossAttn: AttentionLayer;
  readonly norm2: LayerNorm;
  readonly feedForward: FeedForward;
  readonly norm3: LayerNorm;
  readonly dropout: Dropout;

  constructor(s: BlockSizes, init?: InitOptions) {
    super();
    const d = s.dModel;
    this.selfAttn = this.addModule('selfAttn', new SelfAttention(d, d, d, { scale: s.scale }, init));
    this.norm1 = this.addModule('norm1', new LayerNorm(d, {}, init));
    this.crossAttn = this.addModule('crossAttn', new AttentionLayer(d, d, d, d, { scale: s.scale }, init));
    this.norm2 = this.addModule('norm2', new LayerNorm(d, {}, init));
    this.feedForward = this.addModule('feedForward', new FeedForward(d, s.dFeedforward, s.dropout, init));
    this.norm3 = this.addModule('norm3', new LayerNorm(d, {}, init));
    this.dropout = this.addModule('dropout', new Dropout(s.dropout));
  }

  /** Teacher forcing: y [B, Tt, d] (decoder inputs X′), memory X [B, Ts, d], srcMask [B, 1, Ts]. */
  forward(y: Tensor, memory: Tensor, srcMask: Mask): DecoderBlockOutput {
    const tt = y.shape[1];
    const sa = this.selfAttn.forward(y, causalMask(tt, tt)); // [B, Tt, d], [B, Tt, Tt]
    const h = this.norm1.forward(add(y, this.dropout.forward(sa.context)));
    const ca = this.crossAttn.forward(h, memory, memory, srcMask); // C = Attn(X, X′)
    return { out: this.finish(h, ca.context), selfWeights: sa.weights, crossWeights: ca.weights };
  }

  /** The cache before the first step: the encoder side projected once. */
  startCache(memory: Tensor, srcMask: Mask): DecoderCache {
    return {
      selfKeys: null,
      selfValues: null,
      crossKeys: this.crossAttn.kProj.forward(memory), // k_i = W_K x_i [R, Ts, d]
      crossValues: this.crossAttn.vProj.forward(memory), // v_i = W_V x_i [R, Ts, d]
      srcMask,
    };
  }

  /** One position: y [R, 1, d] → out [R, 1, d], cross weights [R, 1, Ts], and the grown cache. */
  step(y: Tensor, cache: DecoderCache): { out: Tensor; crossWeights: Tensor; cache: DecoderCache } {
    const sa = this.selfAttn;
    const k = sa.kProj.forward(y); // [R, 1, d]
    const v = sa.vProj.forward(y);
    const selfKeys = cache.selfKeys === null ? k : concat([cache.selfKeys, k], 1); // [R, t + 1, d]
    const selfValues = cache.selfValues === null ? v : concat([cache.selfValues, v], 1);
    // Every cached position is earlier: the causal mask has nothing to block.
    const self = attend(this.scores(sa.qProj.forward(y), selfKeys, sa.scale), selfValues);
    const h = this.norm1.forward(add(y, this.dropout.forward(self.context)));
    const q = this.crossAttn.qProj.forward(h); // q_j = W_Q x′_j [R, 1, d]
    const cross = attend(
      this.scores(q, cache.crossKeys, this.crossAttn.scale),
      cache.crossValues,
      cache.srcMask,
    );
    return {
      out: this.finish(h, cross.context),
      crossWeights: cross.weights,
      cache: { ...cache, selfKeys, selfValues },
    };
  }

  /** The cache of the rows `rows` (self part), with the cross part the caller chose for them. */
  selectCache(cache: DecoderCache, rows: Int32Array, cross: CrossCache): DecoderCache {
    return {
      selfKeys: cache.selfKeys === null ? null : indexSelect(cache.selfKeys, 0, rows),
      selfValues: cache.selfValues === null ? null : indexSelect(cache.selfValues, 0, rows),
      ...cross,
    };
  }

  private scores(q: Tensor, k: Tensor, scale: boolean): Tensor {
    return scale ? scaledDotScores(q, k) : dotScores(q, k);
  }

  /** After the cross-attention: residual + norm2, then FFN with residual + norm3. */
  private finish(h: Tensor, context: Tensor): Tensor {
    const z = this.norm2.forward(add(h, this.dropout.forward(context)));
    return this.norm3.forward(add(z, this.dropout.forward(this.feedForward.forward(z))));
  }
}
