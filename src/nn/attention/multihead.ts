import { flashAttentionHeads, flashSelfAttentionPacked } from '../../ops/flash-attention-heads.js';
import { linear } from '../../ops/linear.js';
import { mean } from '../../ops/reduce.js';
import { permute, reshape, split } from '../../ops/shape.js';
import { Mask } from '../../tensor/mask.js';
import type { Tensor } from '../../tensor/tensor.js';
import { fmtShape, HeedError, ShapeError } from '../../util/errors.js';
import { constantParam, type InitOptions, xavierUniformParam } from '../init.js';
import { Linear } from '../linear.js';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';
import { splitShared } from '../rnn/split.js';
import { appendToCache, attendCache, cacheLength, type KVCache } from './kv-cache.js';
import { type AttentionMask, checkMaskShape, combineMasks, reshapeMask } from './masking.js';
import { flashApplies, type SdpaOptions, type SdpaResult, scaledDotProductAttention } from './sdpa.js';
import type { Attention, AttentionResult } from './types.js';

export interface MultiHeadAttentionConfig {
  /** Size of the keys' features (default embedDim). */
  kdim?: number;
  /** Size of the values' features (default embedDim). */
  vdim?: number;
  /** Biases on the input and output projections (default true). */
  bias?: boolean;
  /** Dropout on the attention weights in training mode (default 0). */
  dropout?: number;
}

export interface MultiHeadForwardOptions {
  /** [B, Tk], true = the key is padding and is ignored (PyTorch's key_padding_mask). */
  keyPaddingMask?: Mask;
  /**
   * true = ALLOWED (heed's convention, the opposite of nn.MultiheadAttention's bool attn_mask:
   * pass `torchMask.not()`), or a float mask added to the scores. Shape [Tq, Tk], [B, Tq, Tk]
   * (the same for every head) or [B, H, Tq, Tk].
   */
  mask?: AttentionMask;
  /** Query i sees keys 0..i (top-left aligned); combines with the masks. */
  causal?: boolean;
  /** Return the weights (default true). */
  needWeights?: boolean;
  /** Average the weights over heads → [B, Tq, Tk] (default true), else [B, H, Tq, Tk]. */
  averageWeights?: boolean;
}

/** Options of incremental self-attention: masks over the cached keys [.., tNew, t] and what to return. */
export type IncrementalOptions = Pick<
  MultiHeadForwardOptions,
  'mask' | 'keyPaddingMask' | 'needWeights' | 'averageWeights'
>;

/** x·Wᵀ + b. */
const project = linear;

/**
 * Multi-head attention (Vaswani et al. 2017, §3.2.2) with nn.MultiheadAttention's semantics and
 * parameter names, batch first:
 *   head_i = Attention(Q·W_iᵠ, K·W_iᴷ, V·W_iⱽ),   MultiHead(Q, K, V) = [head_1 … head_H]·W_O.
 * Parameters: `in_proj_weight` [3E, E] (= [W_Q; W_K; W_V]) when kdim = vdim = E, otherwise
 * `q_proj_weight` [E, E], `k_proj_weight` [E, kdim], `v_proj_weight` [E, vdim]; `in_proj_bias`
 * [3E]; `out_proj.weight` [E, E], `out_proj.bias` [E]. Initialised as PyTorch: Xavier-uniform
 * projections, zero biases, out_proj.weight as nn.Linear.
 *
 * Differences from PyTorch, on purpose: a query whose keys are all masked gets zero weights and
 * a zero output projection input (so its output is out_proj.bias), where PyTorch gives NaN; a
 * boolean `mask` is true where attention is allowed; with dropout the returned weights are the
 * softmax before dropout.
 */
export class MultiHeadAttention extends Module implements Attention {
  readonly inProjWeight: Parameter | null;
  readonly qProjWeight: Parameter | null;
  readonly kProjWeight: Parameter | null;
  readonly vProjWeight: Parameter | null;
  readonly inProjBias: Parameter | null;
  readonly outProj: Linear;
  readonly kdim: number;
  readonly vdim: number;
  readonly headDim: number;
  readonly dropout: number;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    config: MultiHeadAttentionConfig = {},
    init?: InitOptions,
  ) {
    super();
    if (!(Number.isInteger(numHeads) && numHeads > 0 && Number.isInteger(embedDim) && embedDim > 0)) {
      throw new HeedError(
        `MultiHeadAttention: embedDim ${embedDim} and numHeads ${numHeads} must be positive integers`,
      );
    }
    if (embedDim % numHeads !== 0) {
      throw new HeedError(
        `MultiHeadAttention: embedDim ${embedDim} is not divisible by numHeads ${numHeads}`,
      );
    }
    const e = embedDim;
    this.kdim = config.kdim ?? e;
    this.vdim = config.vdim ?? e;
    this.headDim = e / numHeads;
    this.dropout = config.dropout ?? 0;
    const packed = this.kdim === e && this.vdim === e;
    // Registered in PyTorch's order, so stateDict() lists the keys as state_dict() does.
    this.qProjWeight = this.addParameter(
      'q_proj_weight',
      packed ? null : xavierUniformParam([e, e], 1, init),
    );
    this.kProjWeight = this.addParameter(
      'k_proj_weight',
      packed ? null : xavierUniformParam([e, this.kdim], 1, init),
    );
    this.vProjWeight = this.addParameter(
      'v_proj_weight',
      packed ? null : xavierUniformParam([e, this.vdim], 1, init),
    );
    this.inProjWeight = this.addParameter(
      'in_proj_weight',
      packed ? xavierUniformParam([3 * e, e], 1, init) : null,
    );
    const bias = config.bias ?? true;
    this.inProjBias = this.addParameter('in_proj_bias', bias ? constantParam([3 * e], 0, init) : null);
    this.outProj = this.addModule('out_proj', new Linear(e, e, { bias }, init));
    this.outProj.bias?.data.fill(0);
  }

  /**
   * query [B, Tq, E], key [B, Tk, kdim], value [B, Tk, vdim], and either a boolean mask (true =
   * allowed, as every heed attention) or the options
   * → { context [B, Tq, E], weights [B, Tq, Tk] (averaged) or [B, H, Tq, Tk] (per head) }.
   */
  forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    options?: Mask | (MultiHeadForwardOptions & { needWeights?: true }),
  ): AttentionResult;
  forward(query: Tensor, key: Tensor, value: Tensor, options: MultiHeadForwardOptions): SdpaResult;
  forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    options: Mask | MultiHeadForwardOptions = {},
  ): SdpaResult {
    const opts: MultiHeadForwardOptions = options instanceof Mask ? { mask: options } : options;
    const name = `MultiHeadAttention(${this.embedDim}, ${this.numHeads})`;
    const e = this.embedDim;
    const h = this.numHeads;
    const hs = this.headDim;
    if (
      query.ndim !== 3 ||
      key.ndim !== 3 ||
      value.ndim !== 3 ||
      query.shape[2] !== e ||
      key.shape[2] !== this.kdim ||
      value.shape[2] !== this.vdim ||
      key.shape[0] !== query.shape[0] ||
      value.shape[0] !== query.shape[0] ||
      key.shape[1] !== value.shape[1]
    ) {
      throw new ShapeError(
        `${name}: expected query [B, Tq, ${e}], key [B, Tk, ${this.kdim}], value [B, Tk, ${this.vdim}]; got ${fmtShape(query.shape)}, ${fmtShape(key.shape)}, ${fmtShape(value.shape)}`,
      );
    }
    const [b, tq] = query.shape;
    const tk = key.shape[1];

    const sdpa: SdpaOptions = {
      mask: this.headMask(name, opts, b, tq, tk),
      causal: opts.causal ?? false,
      scale: 1 / Math.sqrt(hs),
      dropout: this.dropout,
      training: this.training,
      needWeights: opts.needWeights,
    };
    if (flashApplies(sdpa)) {
      // The fused kernel reads the heads in place from the projections and writes the merged
      // [B, Tq, E] context: no head split or merge. Self-attention projects once, [Q | K | V].
      const flash = { mask: sdpa.mask, causal: sdpa.causal, scale: sdpa.scale };
      const merged =
        this.inProjWeight !== null && query === key && key === value
          ? flashSelfAttentionPacked(project(query, this.inProjWeight, this.inProjBias), h, flash) // [B, T, 3E] → [B, T, E]
          : flashAttentionHeads(...this.projectInputs(query, key, value), h, flash); // [B, Tq, E]
      return { context: this.outProj.forward(merged), weights: null };
    }
    const [q, k, v] = this.projectInputs(query, key, value); // [B, Tq, E], [B, Tk, E], [B, Tk, E]
    const heads = (x: Tensor, t: number): Tensor => permute(reshape(x, [b, t, h, hs]), [0, 2, 1, 3]); // [B, H, T, hs]
    const res = scaledDotProductAttention(heads(q, tq), heads(k, tk), heads(v, tk), sdpa); // context [B, H, Tq, hs], weights [B, H, Tq, Tk] or null
    return this.mergeHeads(res, b, tq, opts);
  }

  /** The three input projections; one GEMM for self-attention with packed weights. */
  private projectInputs(query: Tensor, key: Tensor, value: Tensor): [Tensor, Tensor, Tensor] {
    const e = this.embedDim;
    const biases = this.inProjBias ? split(this.inProjBias, e, 0) : [null, null, null];
    if (this.inProjWeight !== null) {
      if (query === key && key === value) {
        const [q, k, v] = splitShared(project(query, this.inProjWeight, this.inProjBias), [e, e, e], -1); // [B, T, 3E] → 3×[B, T, E]
        return [q, k, v];
      }
      const [wq, wk, wv] = split(this.inProjWeight, e, 0); // 3×[E, E]
      return [project(query, wq, biases[0]), project(key, wk, biases[1]), project(value, wv, biases[2])];
    }
    // kdim or vdim ≠ E: three separate weights (always set in this branch).
    const wq = this.qProjWeight!;
    const wk = this.kProjWeight!;
    const wv = this.vProjWeight!;
    return [project(query, wq, biases[0]), project(key, wk, biases[1]), project(value, wv, biases[2])];
  }

  /** The user's mask and the key padding mask as one mask broadcasting against [B, H, Tq, Tk]. */
  private headMask(
    name: string,
    opts: MultiHeadForwardOptions,
    b: number,
    tq: number,
    tk: number,
  ): AttentionMask | undefined {
    let mask = opts.mask;
    if (mask !== undefined) {
      const r = mask.shape.length;
      if (r === 2) checkMaskShape(name, mask.shape, [tq, tk]);
      else if (r === 3) {
        checkMaskShape(name, mask.shape, [b, tq, tk]);
        const perHead = [mask.shape[0], 1, mask.shape[1], mask.shape[2]];
        mask = mask instanceof Mask ? reshapeMask(mask, perHead) : reshape(mask, perHead); // [B, 1, Tq, Tk]
      } else if (r === 4) checkMaskShape(name, mask.shape, [b, this.numHeads, tq, tk]);
      else {
        throw new ShapeError(
          `${name}: mask ${fmtShape(mask.shape)} must be [Tq, Tk], [B, Tq, Tk] or [B, H, Tq, Tk] = ${fmtShape([b, this.numHeads, tq, tk])}`,
        );
      }
    }
    const kpm = opts.keyPaddingMask;
    if (kpm !== undefined) {
      if (kpm.shape.length !== 2 || kpm.shape[0] !== b || kpm.shape[1] !== tk) {
        throw new ShapeError(
          `${name}: keyPaddingMask ${fmtShape(kpm.shape)} must be [B, Tk] = ${fmtShape([b, tk])}`,
        );
      }
      mask = combineMasks(mask, reshapeMask(kpm.not(), [b, 1, 1, tk])); // true = padding → true = allowed
    }
    return mask;
  }

  /**
   * Incremental causal self-attention, for decoding. x [B, tNew, E] holds the newest positions
   * (one per step, or a whole prompt at once): only they are projected; their keys and values
   * join `cache` (null at the start) and each new query attends over every cached position,
   * causally within the block → { context [B, tNew, E], weights [B, tNew, t] (averaged) or
   * [B, H, tNew, t], cache [B, H, t, hs] }, t = cached + tNew. The context equals the last tNew
   * rows of `forward(xAll, xAll, xAll, { causal: true })`. A `mask` is over [tNew, t] (or
   * [B, tNew, t], [B, H, tNew, t]); `keyPaddingMask` is [B, t], over every cached position.
   */
  forwardIncremental(
    x: Tensor,
    cache: KVCache | null,
    options: IncrementalOptions = {},
  ): SdpaResult & { cache: KVCache } {
    const name = `MultiHeadAttention(${this.embedDim}, ${this.numHeads}).forwardIncremental`;
    const e = this.embedDim;
    if (
      x.ndim !== 3 ||
      x.shape[2] !== e ||
      this.kdim !== e ||
      this.vdim !== e ||
      (cache !== null && (cache.key.shape[0] !== x.shape[0] || cache.key.shape[1] !== this.numHeads))
    ) {
      const held = cache === null ? '' : ` and cache ${fmtShape(cache.key.shape)}`;
      throw new ShapeError(
        `${name}: self-attention needs kdim = vdim = ${e} and x [B, tNew, ${e}] matching the cache [B, ${this.numHeads}, t, ${this.headDim}]; got x ${fmtShape(x.shape)}${held}`,
      );
    }
    const [b, tNew] = x.shape;
    const [q, k, v] = this.projectInputs(x, x, x); // 3×[B, tNew, E]
    const grown = appendToCache(cache, this.splitHeads(k, b, tNew), this.splitHeads(v, b, tNew)); // [B, H, t, hs]
    const t = cacheLength(grown);
    const res = attendCache(this.splitHeads(q, b, tNew), grown, {
      mask: this.headMask(name, options, b, tNew, t),
      causal: true,
      scale: 1 / Math.sqrt(this.headDim),
      dropout: this.dropout,
      training: this.training,
      needWeights: options.needWeights ?? true,
    }); // context [B, H, tNew, hs], weights [B, H, tNew, t]
    return { ...this.mergeHeads(res, b, tNew, options), cache: grown };
  }

  /**
   * Keys and values projected once, for cross-attention while decoding: key [B, Tk, kdim],
   * value [B, Tk, vdim] (default: key) → a cache [B, H, Tk, hs] for {@link forwardCached}.
   */
  projectMemory(key: Tensor, value: Tensor = key): KVCache {
    if (
      key.ndim !== 3 ||
      value.ndim !== 3 ||
      key.shape[2] !== this.kdim ||
      value.shape[2] !== this.vdim ||
      key.shape[0] !== value.shape[0] ||
      key.shape[1] !== value.shape[1]
    ) {
      throw new ShapeError(
        `MultiHeadAttention(${this.embedDim}, ${this.numHeads}).projectMemory: expected key [B, Tk, ${this.kdim}], value [B, Tk, ${this.vdim}]; got ${fmtShape(key.shape)}, ${fmtShape(value.shape)}`,
      );
    }
    const e = this.embedDim;
    const [b, tk] = key.shape;
    const biases = this.inProjBias ? split(this.inProjBias, e, 0) : [null, null, null];
    const [, wk, wv] = this.inProjWeight
      ? split(this.inProjWeight, e, 0) // 3×[E, E]
      : [null, this.kProjWeight!, this.vProjWeight!];
    return {
      key: this.splitHeads(project(key, wk, biases[1]), b, tk), // [B, H, Tk, hs]
      value: this.splitHeads(project(value, wv, biases[2]), b, tk), // [B, H, Tk, hs]
    };
  }

  /**
   * Attention of query [B, Tq, E] over keys and values projected by {@link projectMemory}: the
   * same result as `forward(query, key, value, options)` without projecting the memory again.
   */
  forwardCached(query: Tensor, memory: KVCache, options: MultiHeadForwardOptions = {}): SdpaResult {
    const name = `MultiHeadAttention(${this.embedDim}, ${this.numHeads}).forwardCached`;
    const e = this.embedDim;
    if (
      query.ndim !== 3 ||
      query.shape[2] !== e ||
      memory.key.ndim !== 4 ||
      memory.key.shape[0] !== query.shape[0] ||
      memory.key.shape[1] !== this.numHeads
    ) {
      throw new ShapeError(
        `${name}: expected query [B, Tq, ${e}] and memory keys [B, ${this.numHeads}, Tk, ${this.headDim}]; got ${fmtShape(query.shape)}, ${fmtShape(memory.key.shape)}`,
      );
    }
    const [b, tq] = query.shape;
    const tk = memory.key.shape[2];
    const bias = this.inProjBias ? split(this.inProjBias, e, 0)[0] : null;
    const wq = this.inProjWeight ? split(this.inProjWeight, e, 0)[0] : this.qProjWeight!; // [E, E]
    const q = this.splitHeads(project(query, wq, bias), b, tq); // [B, H, Tq, hs]
    const res = scaledDotProductAttention(q, memory.key, memory.value, {
      mask: this.headMask(name, options, b, tq, tk),
      causal: options.causal ?? false,
      scale: 1 / Math.sqrt(this.headDim),
      dropout: this.dropout,
      training: this.training,
      needWeights: options.needWeights ?? true,
    }); // context [B, H, Tq, hs], weights [B, H, Tq, Tk]
    return this.mergeHeads(res, b, tq, options);
  }

  /** [B, T, E] → [B, H, T, hs]. */
  private splitHeads(x: Tensor, b: number, t: number): Tensor {
    return permute(reshape(x, [b, t, this.numHeads, this.headDim]), [0, 2, 1, 3]);
  }

  /** Per-head context [B, H, Tq, hs] → the output projection [B, Tq, E], with the weights asked for. */
  private mergeHeads(
    res: SdpaResult,
    b: number,
    tq: number,
    opts: Pick<MultiHeadForwardOptions, 'needWeights' | 'averageWeights'>,
  ): SdpaResult {
    const merged = reshape(permute(res.context, [0, 2, 1, 3]), [b, tq, this.embedDim]); // [B, Tq, E]
    const context = this.outProj.forward(merged); // [B, Tq, E]
    if (opts.needWeights === false || res.weights === null) return { context, weights: null };
    const weights = (opts.averageWeights ?? true) ? mean(res.weights, 1) : res.weights;
    return { context, weights };
  }
}
