import { add } from '../../ops/binary.js';
import type { Mask } from '../../tensor/mask.js';
import type { Tensor } from '../../tensor/tensor.js';
import { type KVCache, selectCacheRows } from '../attention/kv-cache.js';
import type { AttentionMask } from '../attention/masking.js';
import { MultiHeadAttention } from '../attention/multihead.js';
import type { Dropout } from '../dropout.js';
import type { InitOptions } from '../init.js';
import type { LayerNorm } from '../layernorm.js';
import { TransformerLayerBase, type TransformerLayerConfig } from './config.js';

export interface DecoderLayerInputs {
  /** Target self-attention mask, true = allowed (or additive float), [Tt, Tt] or [B, Tt, Tt]. */
  tgtMask?: AttentionMask;
  /** Causal target self-attention (the usual decoder setting). */
  causal?: boolean;
  /** [B, Tt], true = padding. */
  tgtKeyPaddingMask?: Mask;
  /** Cross-attention mask, true = allowed, [Tt, Ts] or [B, Tt, Ts]. */
  memoryMask?: AttentionMask;
  /** [B, Ts], true = padding in the memory (the encoder output). */
  memoryKeyPaddingMask?: Mask;
}

export interface DecoderLayerOutput {
  output: Tensor;
  /** Target self-attention weights per head [B, H, Tt, Tt]. */
  selfWeights: Tensor;
  /** Cross-attention weights per head [B, H, Tt, Ts]: what each target position read. */
  crossWeights: Tensor;
}

/** What a decoder layer keeps between decoding steps. */
export interface DecoderLayerCache {
  /** Keys and values of the target positions decoded so far (null before the first step). */
  readonly self: KVCache | null;
  /** Keys and values of the memory, projected once. */
  readonly cross: KVCache;
}

/** The cache of rows `rows`, in that order (beam search reorders and repeats hypotheses). */
export function selectDecoderCacheRows(cache: DecoderLayerCache, rows: Int32Array): DecoderLayerCache {
  return {
    self: cache.self === null ? null : selectCacheRows(cache.self, rows),
    cross: selectCacheRows(cache.cross, rows),
  };
}

/** Inputs of incremental decoding: the memory masks (target self-attention is causal). */
export interface IncrementalDecoderInputs {
  /** Cross-attention mask over [tNew, Ts] (true = allowed). */
  memoryMask?: AttentionMask;
  /** [B, Ts], true = padding in the memory. */
  memoryKeyPaddingMask?: Mask;
  /** Return the weights (default true). */
  needWeights?: boolean;
}

export interface IncrementalDecoderLayerOutput {
  output: Tensor;
  /** [B, H, tNew, t], or null with `needWeights: false`. */
  selfWeights: Tensor | null;
  /** [B, H, tNew, Ts], or null with `needWeights: false`. */
  crossWeights: Tensor | null;
  cache: DecoderLayerCache;
}

/**
 * nn.TransformerDecoderLayer, batch first:
 *   post-norm: x = norm1(x + SA(x)); x = norm2(x + CA(x, mem)); x = norm3(x + FFN(x))
 *   pre-norm:  x = x + SA(norm1(x)); x = x + CA(norm2(x), mem); x = x + FFN(norm3(x))
 */
export class TransformerDecoderLayer extends TransformerLayerBase {
  readonly selfAttn: MultiHeadAttention;
  readonly crossAttn: MultiHeadAttention;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly norm3: LayerNorm;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;
  readonly dropout3: Dropout;

  constructor(
    dModel: number,
    readonly nhead: number,
    config: TransformerLayerConfig = {},
    init?: InitOptions,
  ) {
    super(dModel, config, init);
    const { dropout, bias } = this.config;
    this.selfAttn = this.addModule(
      'self_attn',
      new MultiHeadAttention(dModel, nhead, { dropout, bias }, init),
    );
    this.crossAttn = this.addModule(
      'multihead_attn',
      new MultiHeadAttention(dModel, nhead, { dropout, bias }, init),
    );
    this.norm1 = this.makeNorm('norm1');
    this.norm2 = this.makeNorm('norm2');
    this.norm3 = this.makeNorm('norm3');
    this.dropout1 = this.makeDropout('dropout1');
    this.dropout2 = this.makeDropout('dropout2');
    this.dropout3 = this.makeDropout('dropout3');
  }

  /** tgt [B, Tt, D], memory [B, Ts, D] → { output [B, Tt, D], selfWeights, crossWeights }. */
  forward(tgt: Tensor, memory: Tensor, inputs: DecoderLayerInputs = {}): DecoderLayerOutput {
    const selfAttention = (x: Tensor) => {
      const r = this.selfAttn.forward(x, x, x, {
        mask: inputs.tgtMask,
        causal: inputs.causal,
        keyPaddingMask: inputs.tgtKeyPaddingMask,
        averageWeights: false,
      });
      return { out: this.dropout1.forward(r.context), weights: r.weights };
    };
    const crossAttention = (x: Tensor) => {
      const r = this.crossAttn.forward(x, memory, memory, {
        mask: inputs.memoryMask,
        keyPaddingMask: inputs.memoryKeyPaddingMask,
        averageWeights: false,
      });
      return { out: this.dropout2.forward(r.context), weights: r.weights };
    };
    return this.sublayers(tgt, selfAttention, crossAttention);
  }

  /** Projects the memory [B, Ts, D] for cross-attention once, before decoding step by step. */
  initCache(memory: Tensor): DecoderLayerCache {
    return { self: null, cross: this.crossAttn.projectMemory(memory) };
  }

  /**
   * Incremental decoding: tgt [B, tNew, D] are the next target positions (one per step, usually)
   * and `cache` what earlier steps left (from {@link initCache}) → { output [B, tNew, D],
   * selfWeights [B, H, tNew, t], crossWeights [B, H, tNew, Ts], cache }. Target self-attention is
   * causal; the output equals the last tNew rows of `forward(tgtAll, memory, { causal: true,
   * memoryKeyPaddingMask })`. Weights are null with `needWeights: false`.
   */
  forwardIncremental(
    tgt: Tensor,
    cache: DecoderLayerCache,
    inputs: IncrementalDecoderInputs = {},
  ): IncrementalDecoderLayerOutput {
    let selfCache: KVCache | null = cache.self;
    const needWeights = inputs.needWeights ?? true;
    const selfAttention = (x: Tensor) => {
      const r = this.selfAttn.forwardIncremental(x, selfCache, { needWeights, averageWeights: false });
      selfCache = r.cache;
      return { out: this.dropout1.forward(r.context), weights: r.weights };
    };
    const crossAttention = (x: Tensor) => {
      const r = this.crossAttn.forwardCached(x, cache.cross, {
        mask: inputs.memoryMask,
        keyPaddingMask: inputs.memoryKeyPaddingMask,
        needWeights,
        averageWeights: false,
      });
      return { out: this.dropout2.forward(r.context), weights: r.weights };
    };
    const out = this.sublayers(tgt, selfAttention, crossAttention);
    if (selfCache === null) throw new Error('unreachable: self-attention ran and set its cache');
    return { ...out, cache: { self: selfCache, cross: cache.cross } };
  }

  /** The residual wiring of the three sublayers around the two attentions given. */
  private sublayers<W>(
    tgt: Tensor,
    selfAttention: (x: Tensor) => { out: Tensor; weights: W },
    crossAttention: (x: Tensor) => { out: Tensor; weights: W },
  ): { output: Tensor; selfWeights: W; crossWeights: W } {
    const ff = (x: Tensor): Tensor => this.dropout3.forward(this.feedForward(x));
    let x = tgt;
    let sa: { out: Tensor; weights: W };
    let ca: { out: Tensor; weights: W };
    if (this.config.normFirst) {
      sa = selfAttention(this.norm1.forward(x));
      x = add(x, sa.out);
      ca = crossAttention(this.norm2.forward(x));
      x = add(x, ca.out);
      x = add(x, ff(this.norm3.forward(x)));
    } else {
      sa = selfAttention(x);
      x = this.norm1.forward(add(x, sa.out));
      ca = crossAttention(x);
      x = this.norm2.forward(add(x, ca.out));
      x = this.norm3.forward(add(x, ff(x)));
    }
    return { output: x, selfWeights: sa.weights, crossWeights: ca.weights };
  }
}
