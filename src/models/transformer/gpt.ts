import { noGrad } from '../../autograd/engine.js';
import { sampleToken } from '../../decode/greedy.js';
import type { StepDecoder, StepOutput } from '../../decode/types.js';
import {
  appendToCache,
  attendCache,
  cacheLength,
  type KVCache,
  selectCacheRows,
} from '../../nn/attention/kv-cache.js';
import { Dropout } from '../../nn/dropout.js';
import { Embedding } from '../../nn/embedding.js';
import { constantParam, type InitOptions, normalParam } from '../../nn/init.js';
import { runLayerNorm } from '../../nn/layernorm.js';
import { Linear } from '../../nn/linear.js';
import { Module } from '../../nn/module.js';
import { ModuleList } from '../../nn/module-list.js';
import type { Parameter } from '../../nn/parameter.js';
import { add } from '../../ops/binary.js';
import { flashSelfAttentionPacked } from '../../ops/flash-attention-heads.js';
import type { Indices } from '../../ops/indexing.js';
import { crossEntropy } from '../../ops/loss.js';
import { matmul } from '../../ops/matmul.js';
import { permute, reshape, slice, split } from '../../ops/shape.js';
import { logSoftmax } from '../../ops/softmax.js';
import { gelu } from '../../ops/unary.js';
import type { Tensor } from '../../tensor/tensor.js';
import { fmtShape, HeedError, ShapeError } from '../../util/errors.js';
import { defaultGenerator, type Generator } from '../../util/random.js';
import { checkRows, checkTokens, type TokenBatch } from '../seq2seq/inputs.js';
import { type GPTConfig, type ResolvedGPTConfig, resolveGPTConfig } from './config.js';

/**
 * A decoder-only Transformer language model in the layout of Karpathy's nanoGPT (model.py):
 * LayerNorm → CausalSelfAttention → MLP → Block → GPT, with nanoGPT's parameter names
 * (`transformer.h.0.attn.c_attn.weight`, …), so a nanoGPT state_dict loads key for key once its
 * `lm_head.weight` (the same tensor as `transformer.wte.weight`) is left out.
 */

/** LayerNorm with an optional bias (nanoGPT's; PyTorch's LayerNorm had no bias=False then). */
export class GPTLayerNorm extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(
    readonly ndim: number,
    bias: boolean,
    init?: InitOptions,
  ) {
    super();
    this.weight = this.addParameter('weight', constantParam([ndim], 1, init));
    this.bias = this.addParameter('bias', bias ? constantParam([ndim], 0, init) : null);
  }

  /** x [..., D] → (x − μ) / √(σ² + 1e-5) · γ (+ β). */
  forward(x: Tensor): Tensor {
    if (x.shape[x.ndim - 1] !== this.ndim) {
      throw new ShapeError(`GPTLayerNorm(${this.ndim}): input ${fmtShape(x.shape)} must end in ${this.ndim}`);
    }
    return runLayerNorm(x, this.weight, this.bias, 1e-5);
  }
}

/** What a block's attention returns: output, the weights when asked, and the grown cache. */
export interface CausalAttentionOutput {
  y: Tensor;
  /** [B, H, T, t], or null unless asked. */
  weights: Tensor | null;
  /** The cache grown by these positions; null when not kept (see {@link CausalSelfAttention.forward}). */
  cache: KVCache | null;
}

/** What a forward pass needs besides the input. */
export interface CausalAttentionOptions {
  /** The keys and values of the positions before these (default null: none). */
  cache?: KVCache | null;
  /** Return the attention weights (default false). */
  needWeights?: boolean;
  /** Return the grown cache, for decoding (default true). */
  keepCache?: boolean;
}

/**
 * Multi-head causal self-attention with the three projections in one matrix (`c_attn`,
 * [3E, E]) and the output projection `c_proj`. Given the cache of earlier positions, only the
 * new ones are projected and attend over everything cached (see nn/attention/kv-cache.ts).
 */
export class CausalSelfAttention extends Module {
  readonly cAttn: Linear;
  readonly cProj: Linear;
  readonly residDropout: Dropout;

  constructor(
    readonly nEmbd: number,
    readonly nHead: number,
    readonly dropout: number,
    bias: boolean,
    init?: InitOptions,
  ) {
    super();
    this.cAttn = this.addModule('c_attn', new Linear(nEmbd, 3 * nEmbd, { bias }, init));
    this.cProj = this.addModule('c_proj', new Linear(nEmbd, nEmbd, { bias }, init));
    this.residDropout = this.addModule('resid_dropout', new Dropout(dropout));
  }

  /**
   * x [B, T, E] and the cache of the positions before them → y [B, T, E]. A training pass (no
   * cache in or out, no weights, no attention dropout) runs the fused kernel on the packed
   * projection [Q | K | V], reading each head in place; otherwise the heads are split out, the
   * cache grown and the attention run over it (nn/attention/kv-cache.ts), which gives the
   * same function.
   */
  forward(x: Tensor, options: CausalAttentionOptions = {}): CausalAttentionOutput {
    const { cache = null, needWeights = false, keepCache = true } = options;
    const [b, t, e] = x.shape;
    const hs = e / this.nHead;
    const scale = 1 / Math.sqrt(hs);
    const qkv = this.cAttn.forward(x); // [B, T, 3E]
    if (cache === null && !keepCache && !needWeights && !(this.training && this.dropout > 0)) {
      const merged = flashSelfAttentionPacked(qkv, this.nHead, { causal: true, scale }); // [B, T, E]
      return { y: this.residDropout.forward(this.cProj.forward(merged)), weights: null, cache: null };
    }
    const heads = (z: Tensor): Tensor => permute(reshape(z, [b, t, this.nHead, hs]), [0, 2, 1, 3]); // [B, H, T, hs]
    const [q, k, v] = split(qkv, e, -1); // 3×[B, T, E]
    const grown = appendToCache(cache, heads(k), heads(v)); // [B, H, t, hs]
    // softmax(q·kᵀ/√hs + causal mask)·v, query i at position past + i
    const att = attendCache(heads(q), grown, {
      causal: true,
      scale,
      dropout: this.dropout,
      training: this.training,
      needWeights,
    }); // context [B, H, T, hs], weights [B, H, T, t] (null unless needWeights)
    const merged = reshape(permute(att.context, [0, 2, 1, 3]), [b, t, e]); // [B, T, E]
    const y = this.residDropout.forward(this.cProj.forward(merged));
    return { y, weights: needWeights ? att.weights : null, cache: keepCache ? grown : null };
  }
}

/** The position-wise feed-forward block: c_proj(GELU(c_fc(x))), 4× wide inside. */
export class MLP extends Module {
  readonly cFc: Linear;
  readonly cProj: Linear;
  readonly dropout: Dropout;

  constructor(nEmbd: number, dropout: number, bias: boolean, init?: InitOptions) {
    super();
    this.cFc = this.addModule('c_fc', new Linear(nEmbd, 4 * nEmbd, { bias }, init));
    this.cProj = this.addModule('c_proj', new Linear(4 * nEmbd, nEmbd, { bias }, init));
    this.dropout = this.addModule('dropout', new Dropout(dropout));
  }

  /** x [B, T, E] → [B, T, E]. */
  forward(x: Tensor): Tensor {
    return this.dropout.forward(this.cProj.forward(gelu(this.cFc.forward(x)))); // [B, T, 4E] inside
  }
}

/** A pre-norm block: x + attn(ln_1(x)), then x + mlp(ln_2(x)). */
export class Block extends Module {
  readonly ln1: GPTLayerNorm;
  readonly attn: CausalSelfAttention;
  readonly ln2: GPTLayerNorm;
  readonly mlp: MLP;

  constructor(c: ResolvedGPTConfig, init?: InitOptions) {
    super();
    this.ln1 = this.addModule('ln_1', new GPTLayerNorm(c.nEmbd, c.bias, init));
    this.attn = this.addModule('attn', new CausalSelfAttention(c.nEmbd, c.nHead, c.dropout, c.bias, init));
    this.ln2 = this.addModule('ln_2', new GPTLayerNorm(c.nEmbd, c.bias, init));
    this.mlp = this.addModule('mlp', new MLP(c.nEmbd, c.dropout, c.bias, init));
  }

  /** x [B, T, E] and this block's cache → x [B, T, E], the attention weights, the grown cache. */
  forward(x: Tensor, options: CausalAttentionOptions = {}): CausalAttentionOutput {
    const a = this.attn.forward(this.ln1.forward(x), options);
    const h = add(x, a.y);
    return { y: add(h, this.mlp.forward(this.ln2.forward(h))), weights: a.weights, cache: a.cache };
  }
}

/** nanoGPT's `transformer` ModuleDict: token and position tables, the blocks, the final norm. */
export class GPTTransformer extends Module {
  readonly wte: Embedding;
  readonly wpe: Embedding;
  readonly drop: Dropout;
  readonly h: ModuleList<Block>;
  readonly lnF: GPTLayerNorm;

  constructor(c: ResolvedGPTConfig, init?: InitOptions) {
    super();
    this.wte = this.addModule('wte', new Embedding(c.vocabSize, c.nEmbd, {}, init));
    this.wpe = this.addModule('wpe', new Embedding(c.blockSize, c.nEmbd, {}, init));
    this.drop = this.addModule('drop', new Dropout(c.dropout));
    this.h = this.addModule('h', new ModuleList(Array.from({ length: c.nLayer }, () => new Block(c, init))));
    this.lnF = this.addModule('ln_f', new GPTLayerNorm(c.nEmbd, c.bias, init));
  }
}

/** What {@link GPT.forward} returns. */
export interface GPTOutput {
  /** [B, T, V]. */
  logits: Tensor;
  /** Per block, the causal self-attention weights [B, H, T, T]; null unless `needWeights`. */
  attention: Tensor[] | null;
}

/**
 * The decoding state of R rows: every token fed so far and the key/value cache of each block.
 * The cache holds the first `cacheLength` tokens, at positions 0…; it is null before the first
 * step and once the context has grown past blockSize (see {@link GPT.step}).
 */
export interface GPTState {
  /** Every token fed so far, row-major [R, length]. */
  readonly tokens: Int32Array;
  readonly rows: number;
  readonly length: number;
  readonly caches: readonly KVCache[] | null;
}

/** Options of {@link GPT.generate}. */
export interface GenerateOptions {
  /** Tokens to add to every row. */
  maxTokens: number;
  /** Divides the logits: < 1 sharper, > 1 flatter (default 1; must be > 0). */
  temperature?: number;
  /** Sample among the k most likely tokens only. */
  topK?: number;
  /** Sample within the smallest set of tokens whose probability reaches p (nucleus sampling). */
  topP?: number;
  /** The random stream (default: the global one). */
  generator?: Generator;
  /** Use the key/value cache (default true); false recomputes the whole context every step, as nanoGPT. */
  cache?: boolean;
}

/**
 * GPT: logits = ln_f(blocks(drop(wte[x] + wpe[pos]))) · wteᵀ. The output projection (nanoGPT's
 * `lm_head`) is the token embedding itself (weight tying, Press & Wolf 2017), so it is not a
 * separate parameter here. Initialised as nanoGPT: weights N(0, 0.02), biases zero, and the
 * projections into the residual stream (`c_proj`) N(0, 0.02/√(2·nLayer)) (GPT-2 §2.3), so the
 * residual's variance does not grow with depth.
 */
export class GPT extends Module implements StepDecoder<GPTState> {
  readonly config: ResolvedGPTConfig;
  readonly transformer: GPTTransformer;

  constructor(config: GPTConfig, init?: InitOptions) {
    super();
    this.config = resolveGPTConfig(config);
    this.transformer = this.addModule('transformer', new GPTTransformer(this.config, init));
    const residualStd = 0.02 / Math.sqrt(2 * this.config.nLayer);
    for (const [name, p] of this.namedParameters()) {
      if (name.endsWith('c_proj.weight')) p.data.set(normalParam(p.shape, residualStd, 0, init).data);
      else if (p.ndim === 2) p.data.set(normalParam(p.shape, 0.02, 0, init).data);
      else if (name.endsWith('.bias')) p.data.fill(0);
    }
  }

  /**
   * The number of parameters; like nanoGPT's get_num_params, without the position table unless
   * `nonEmbedding` is false (the token table counts: it is also the output layer).
   */
  numParams(nonEmbedding = true): number {
    return this.numParameters() - (nonEmbedding ? this.transformer.wpe.weight.size : 0);
  }

  /** ids [B, T] (T ≤ blockSize) → logits [B, T, V], and the attention weights when asked. */
  forward(x: TokenBatch, options: { needWeights?: boolean } = {}): GPTOutput {
    const [b, t] = this.checkIds(x);
    const r = this.run(x.ids, b, t, null, { needWeights: options.needWeights ?? false });
    return { logits: r.logits, attention: r.attention };
  }

  /** Mean cross-entropy of the next-token predictions: targets [B·T] (ignoreIndex default −1, as nanoGPT). */
  loss(x: TokenBatch, targets: Indices, options: { ignoreIndex?: number } = {}): Tensor {
    return crossEntropy(this.forward(x).logits, targets, { ignoreIndex: options.ignoreIndex ?? -1 });
  }

  /** The state before the first step: `prompt` [R, n] fed but not yet run, or R empty rows. */
  initialState(prompt: TokenBatch | number): GPTState {
    if (typeof prompt === 'number') {
      if (!(Number.isInteger(prompt) && prompt >= 1)) {
        throw new HeedError(`GPT.initialState: rows must be a positive integer, got ${prompt}`);
      }
      return { tokens: new Int32Array(0), rows: prompt, length: 0, caches: null };
    }
    const [rows, length] = prompt.shape;
    if (length > 0) this.checkIds(prompt);
    return { tokens: Int32Array.from(prompt.ids), rows, length, caches: null };
  }

  /**
   * Feeds one token per row [R] → log-probabilities of the next token [R, V] and the new state.
   * The tokens not yet in the cache (the whole prompt, on the first step) go through the model
   * in one pass; later steps project just the new token. Once the context is longer than
   * blockSize there are no positions left, and like nanoGPT's generate each step runs the model
   * afresh on the last blockSize tokens (the window slides, so a cache would be stale): from
   * there on a step costs a full forward pass.
   */
  step(tokens: Int32Array, state: GPTState): StepOutput<GPTState> {
    const { rows, length } = state;
    if (tokens.length !== rows) throw new HeedError(`GPT.step: ${tokens.length} tokens for ${rows} rows`);
    checkTokens('GPT', 'target', { ids: tokens, shape: [rows, 1] }, this.config.vocabSize, 'vocabSize');
    const n = length + 1;
    const history = new Int32Array(rows * n);
    for (let r = 0; r < rows; r++) {
      history.set(state.tokens.subarray(r * length, (r + 1) * length), r * n);
      history[r * n + length] = tokens[r];
    }
    return noGrad(() => {
      const block = this.config.blockSize;
      const cached = n <= block && state.caches !== null ? cacheLength(state.caches[0]) : 0;
      const start = n <= block ? cached : n - block;
      const out = this.run(
        columns(history, rows, n, start, n),
        rows,
        n - start,
        n <= block ? state.caches : null,
        {
          lastOnly: true,
          keepCache: n < block,
        },
      );
      const logits = reshape(out.logits, [rows, this.config.vocabSize]); // [R, V]
      return {
        logProbs: logSoftmax(logits, -1),
        state: { tokens: history, rows, length: n, caches: n < block ? out.caches : null },
      };
    });
  }

  /** The state of rows `rows`, in that order (beam search). */
  selectRows(state: GPTState, rows: Int32Array): GPTState {
    checkRows('GPT', rows, state.rows);
    const n = state.length;
    const tokens = new Int32Array(rows.length * n);
    rows.forEach((row, i) => {
      tokens.set(state.tokens.subarray(row * n, (row + 1) * n), i * n);
    });
    const caches = state.caches;
    return {
      tokens,
      rows: rows.length,
      length: n,
      caches: caches === null ? null : noGrad(() => caches.map((c) => selectCacheRows(c, rows))),
    };
  }

  /**
   * Continues each prompt row [B, T] (T ≥ 1) by `maxTokens` sampled tokens → ids [B, T + maxTokens],
   * as nanoGPT's generate (temperature, top-k; plus top-p), with the key/value cache unless
   * `cache: false`. Both ways give the same tokens from the same generator. Like nanoGPT it does
   * not switch to eval mode: call `model.eval()` first when dropout > 0.
   */
  generate(prompt: TokenBatch, options: GenerateOptions): { ids: Int32Array; shape: [number, number] } {
    const [b, t] = this.checkIds(prompt);
    const { maxTokens } = options;
    const temperature = options.temperature ?? 1;
    if (!(Number.isInteger(maxTokens) && maxTokens >= 0)) {
      throw new HeedError(`GPT.generate: maxTokens must be a non-negative integer, got ${maxTokens}`);
    }
    if (!(temperature > 0)) throw new HeedError(`GPT.generate: temperature must be > 0, got ${temperature}`);
    if (options.topK !== undefined && !(Number.isInteger(options.topK) && options.topK >= 1)) {
      throw new HeedError(`GPT.generate: topK must be a positive integer, got ${options.topK}`);
    }
    if (options.topP !== undefined && !(options.topP > 0 && options.topP <= 1)) {
      throw new HeedError(`GPT.generate: topP must be in (0, 1], got ${options.topP}`);
    }
    const gen = options.generator ?? defaultGenerator;
    const sampling = { temperature, topK: options.topK, topP: options.topP };
    const v = this.config.vocabSize;
    const width = t + maxTokens;
    const ids = new Int32Array(b * width);
    for (let r = 0; r < b; r++) {
      for (let j = 0; j < t; j++) ids[r * width + j] = prompt.ids[r * t + j];
    }
    const sample = (logp: Tensor, at: number): Int32Array => {
      const next = new Int32Array(b);
      for (let r = 0; r < b; r++) {
        next[r] = sampleToken(logp.data.subarray(r * v, (r + 1) * v), sampling, gen);
        ids[r * width + at] = next[r];
      }
      return next;
    };
    noGrad(() => {
      if (options.cache ?? true) {
        let state = this.initialState({ ids: columns(ids, b, width, 0, t - 1), shape: [b, t - 1] });
        let last = columns(ids, b, width, t - 1, t);
        for (let i = 0; i < maxTokens; i++) {
          const out = this.step(last, state);
          state = out.state;
          last = sample(out.logProbs, t + i);
        }
        return;
      }
      for (let i = 0; i < maxTokens; i++) {
        const n = t + i;
        const start = Math.max(0, n - this.config.blockSize); // crop the context to blockSize
        const out = this.run(columns(ids, b, width, start, n), b, n - start, null, { lastOnly: true });
        sample(logSoftmax(reshape(out.logits, [b, v]), -1), n);
      }
    });
    return { ids, shape: [b, width] };
  }

  /**
   * The model over new positions ids [B, T] that follow the cached ones (caches null: none)
   * → logits [B, T, V] (only the last position's [B, 1, V] with `lastOnly`), the caches grown
   * by the new positions (with `keepCache`, else null), and the attention weights when asked.
   */
  private run(
    ids: Int32Array | readonly number[],
    b: number,
    t: number,
    caches: readonly KVCache[] | null,
    { needWeights = false, lastOnly = false, keepCache = false } = {},
  ): { logits: Tensor; caches: KVCache[] | null; attention: Tensor[] | null } {
    const past = caches === null ? 0 : cacheLength(caches[0]);
    if (past + t > this.config.blockSize) {
      throw new HeedError(
        `GPT: cannot forward a sequence of length ${past + t}, blockSize is ${this.config.blockSize}`,
      );
    }
    const { wte, wpe, drop, h, lnF } = this.transformer;
    const tok = wte.forward(ids, [b, t]); // [B, T, E]
    const pos = slice(wpe.weight, 0, past, past + t); // [T, E]
    let x = drop.forward(add(tok, pos)); // [B, T, E]
    const next: KVCache[] = [];
    const attention: Tensor[] = [];
    h.items.forEach((block, i) => {
      const r = block.forward(x, { cache: caches === null ? null : caches[i], needWeights, keepCache });
      x = r.y;
      if (r.cache !== null) next.push(r.cache);
      if (r.weights !== null) attention.push(r.weights);
    });
    x = lnF.forward(x);
    if (lastOnly) x = slice(x, 1, t - 1, t); // [B, 1, E]: generation needs only the next token
    const logits = matmul(x, wte.weight, { transB: true }); // [B, T, V]
    return { logits, caches: keepCache ? next : null, attention: needWeights ? attention : null };
  }

  private checkIds(x: TokenBatch): [number, number] {
    const { batch, steps } = checkTokens('GPT', 'target', x, this.config.vocabSize, 'vocabSize');
    return [batch, steps];
  }
}

/** Columns [start, end) of a row-major [rows, width] id array. */
function columns(ids: Int32Array, rows: number, width: number, start: number, end: number): Int32Array {
  const out = new Int32Array(rows * (end - start));
  for (let r = 0; r < rows; r++) out.set(ids.subarray(r * width + start, r * width + end), r * (end - start));
  return out;
}
