import type { StepDecoder, StepOutput } from '../../decode/types.js';
import { Embedding } from '../../nn/embedding.js';
import type { InitOptions } from '../../nn/init.js';
import { Linear } from '../../nn/linear.js';
import { Module } from '../../nn/module.js';
import { SinusoidalPositionalEncoding } from '../../nn/transformer/positional.js';
import { indexSelect } from '../../ops/indexing.js';
import { crossEntropy } from '../../ops/loss.js';
import { reshape } from '../../ops/shape.js';
import { logSoftmax } from '../../ops/softmax.js';
import type { Mask } from '../../tensor/mask.js';
import type { Tensor } from '../../tensor/tensor.js';
import { HeedError } from '../../util/errors.js';
import { type Infer, v, validate } from '../../util/validate.js';
import {
  AttentionDecoderBlock,
  AttentionEncoderBlock,
  type CrossCache,
  type DecoderCache,
} from './attention-blocks.js';
import { checkPad } from './config.js';
import { checkRows, checkTokens, selectMaskRows, sourceMask, type TokenBatch } from './inputs.js';
import type { Seq2SeqBatchLike, Seq2SeqLossOptions } from './model.js';

/** The configuration of {@link AttentionSeq2Seq}, as JSON. */
export interface AttentionSeq2SeqConfig {
  srcVocabSize: number;
  tgtVocabSize: number;
  /** Width d of embeddings, queries, keys, values and every block's output (default 64). */
  dModel?: number;
  /** Hidden width of the feed-forward blocks (default 128). */
  dFeedforward?: number;
  /** Dropout on the positions-added embeddings, attention and FFN outputs (default 0.1). */
  dropout?: number;
  /** Divide the scores by √d (default true; seed 004's softmax(Kᵀq) has no scale). */
  scale?: boolean;
  /** Longest sequence the sinusoidal positions cover (default 512). */
  maxLen?: number;
  /** Padding id of both vocabularies (default 0). */
  padId?: number;
}

const positive = v.int({ min: 1 });
const schema = v.object({
  srcVocabSize: positive,
  tgtVocabSize: positive,
  dModel: v.withDefault(positive, 64),
  dFeedforward: v.withDefault(positive, 128),
  dropout: v.withDefault(v.number({ min: 0, lt: 1 }), 0.1),
  scale: v.withDefault(v.boolean(), true),
  maxLen: v.withDefault(positive, 512),
  padId: v.withDefault(v.int({ min: 0 }), 0),
});

export type ResolvedAttentionSeq2SeqConfig = Infer<typeof schema>;

/** Checks a configuration and fills in the defaults; errors are one line naming the key. */
export function resolveAttentionSeq2SeqConfig(
  config: unknown,
  source = 'AttentionSeq2Seq',
): ResolvedAttentionSeq2SeqConfig {
  const c = validate(schema, config, source);
  checkPad(source, c.padId, c.srcVocabSize, c.tgtVocabSize);
  return c;
}

/** Teacher-forced output of {@link AttentionSeq2Seq.forward}. */
export interface AttentionSeq2SeqOutput {
  /** [B, Tt, V]. */
  logits: Tensor;
  /** C = Attn(X, X′)'s weights: each target position over the source [B, Tt, Ts]. */
  attention: Tensor;
  /** The encoder's self-attention C = Attn(X, X) [B, Ts, Ts]. */
  encoderSelfAttention: Tensor;
  /** The decoder's causal self-attention [B, Tt, Tt]. */
  decoderSelfAttention: Tensor;
}

/** Decoding state: the decoder cache of R rows and the encoded sources. */
export interface AttentionSeq2SeqState {
  cache: DecoderCache;
  /** The cross-attention part of the encoded batch, one row per source. */
  sources: CrossCache;
  /** Which source each row decodes. */
  sourceOf: Int32Array;
  /** Target tokens read so far: the position of the next one. */
  position: number;
}

/**
 * Seed 004's sequence-to-sequence model, attention without any RNN:
 *   encoder  X  = Emb_s(x) + PE           → C = Attn(X, X) (self-attention) + FFN   → memory
 *   decoder  X′ = Emb_t(bos + y) + PE     → causal C = Attn(X′, X′)
 *                                         → C = Attn(X, X′): keys k_i = W_K x_i and values
 *                                           v_i = W_V x_i from the encoder side, queries
 *                                           q_j = W_Q x′_j from the decoder side  + FFN
 *                                         → Linear(d → V) = logits
 * One block on each side (a one-layer Transformer without heads). Positions are sinusoidal:
 * attention alone is blind to order. Decoding (`step`) keeps the self-attention keys/values
 * of the positions so far and the cross-attention's projected encoder side, so each step costs
 * one position's work and equals the teacher-forced logits of that position.
 */
export class AttentionSeq2Seq extends Module implements StepDecoder<AttentionSeq2SeqState> {
  readonly config: ResolvedAttentionSeq2SeqConfig;
  readonly srcEmbedding: Embedding;
  readonly tgtEmbedding: Embedding;
  readonly positions: SinusoidalPositionalEncoding;
  readonly encoder: AttentionEncoderBlock;
  readonly decoder: AttentionDecoderBlock;
  readonly outProj: Linear;

  constructor(config: AttentionSeq2SeqConfig, init?: InitOptions) {
    super();
    const c = resolveAttentionSeq2SeqConfig(config);
    this.config = c;
    const d = c.dModel;
    const pad = { paddingIdx: c.padId };
    this.srcEmbedding = this.addModule('srcEmbedding', new Embedding(c.srcVocabSize, d, pad, init));
    this.tgtEmbedding = this.addModule('tgtEmbedding', new Embedding(c.tgtVocabSize, d, pad, init));
    this.positions = this.addModule('positions', new SinusoidalPositionalEncoding(d, c.maxLen, c.dropout));
    this.encoder = this.addModule('encoder', new AttentionEncoderBlock(c, init));
    this.decoder = this.addModule('decoder', new AttentionDecoderBlock(c, init));
    this.outProj = this.addModule('outProj', new Linear(d, c.tgtVocabSize, {}, init));
  }

  /** Teacher forcing: src [B, Ts] with lengths, tgtIn [B, Tt] → logits [B, Tt, V] and every attention map. */
  forward(src: TokenBatch, tgtIn: TokenBatch): AttentionSeq2SeqOutput {
    const { memory, mask, batch } = this.runEncoder(src);
    const t = this.checkTarget(tgtIn);
    if (t.batch !== batch) {
      throw new HeedError(`AttentionSeq2Seq: the source batch has ${batch} rows and the target ${t.batch}`);
    }
    const y = this.positions.forward(this.tgtEmbedding.forward(tgtIn.ids, [t.batch, t.steps])); // X′ [B, Tt, d]
    const dec = this.decoder.forward(y, memory.out, mask);
    return {
      logits: this.outProj.forward(dec.out), // [B, Tt, V]
      attention: dec.crossWeights,
      encoderSelfAttention: memory.weights,
      decoderSelfAttention: dec.selfWeights,
    };
  }

  /** Mean cross-entropy per real target token (padId ignored). */
  loss(batch: Seq2SeqBatchLike, options: Seq2SeqLossOptions = {}): Tensor {
    const { logits } = this.forward(batch.src, batch.tgtIn);
    return crossEntropy(logits, batch.tgtOut.ids, {
      ignoreIndex: this.config.padId,
      labelSmoothing: options.labelSmoothing ?? 0,
    });
  }

  /** Encodes a source batch into the decoding state of B rows. */
  encode(src: TokenBatch): AttentionSeq2SeqState {
    const { memory, mask, batch } = this.runEncoder(src);
    const cache = this.decoder.startCache(memory.out, mask);
    const sources = { crossKeys: cache.crossKeys, crossValues: cache.crossValues, srcMask: mask };
    return { cache, sources, sourceOf: Int32Array.from({ length: batch }, (_, i) => i), position: 0 };
  }

  /** Previous tokens [R] → next-token log-probabilities [R, V] and the attention over the source [R, Ts]. */
  step(tokens: Int32Array, state: AttentionSeq2SeqState): StepOutput<AttentionSeq2SeqState> {
    const r = state.sourceOf.length;
    if (tokens.length !== r)
      throw new HeedError(`AttentionSeq2Seq.step: ${tokens.length} tokens for ${r} rows`);
    this.checkTarget({ ids: tokens, shape: [r, 1] });
    const y = this.positions.forward(this.tgtEmbedding.forward(tokens, [r, 1]), state.position); // [R, 1, d]
    const out = this.decoder.step(y, state.cache);
    const logits = reshape(this.outProj.forward(out.out), [r, this.config.tgtVocabSize]);
    return {
      logProbs: logSoftmax(logits, -1),
      state: { ...state, cache: out.cache, position: state.position + 1 },
      attention: reshape(out.crossWeights, [r, -1]), // [R, Ts]
    };
  }

  /** The state of rows `rows`; the encoder side is only copied when a row reads another source. */
  selectRows(state: AttentionSeq2SeqState, rows: Int32Array): AttentionSeq2SeqState {
    checkRows('AttentionSeq2Seq', rows, state.sourceOf.length);
    const sourceOf = Int32Array.from(rows, (i) => state.sourceOf[i]);
    const same =
      sourceOf.length === state.sourceOf.length && sourceOf.every((s, i) => s === state.sourceOf[i]);
    const { sources } = state;
    const cross: CrossCache = same
      ? state.cache
      : {
          crossKeys: indexSelect(sources.crossKeys, 0, sourceOf),
          crossValues: indexSelect(sources.crossValues, 0, sourceOf),
          srcMask: selectMaskRows(sources.srcMask, sourceOf),
        };
    const cache = this.decoder.selectCache(state.cache, rows, {
      crossKeys: cross.crossKeys,
      crossValues: cross.crossValues,
      srcMask: cross.srcMask,
    });
    return { cache, sources, sourceOf, position: state.position };
  }

  private runEncoder(src: TokenBatch): {
    memory: { out: Tensor; weights: Tensor };
    mask: Mask;
    batch: number;
  } {
    const s = checkTokens('AttentionSeq2Seq', 'source', src, this.config.srcVocabSize, 'srcVocabSize');
    const mask = sourceMask(s.lengths, s.steps); // [B, 1, Ts]
    const x = this.positions.forward(this.srcEmbedding.forward(src.ids, [s.batch, s.steps])); // X [B, Ts, d]
    return { memory: this.encoder.forward(x, mask), mask, batch: s.batch };
  }

  private checkTarget(tgt: TokenBatch) {
    return checkTokens('AttentionSeq2Seq', 'target', tgt, this.config.tgtVocabSize, 'tgtVocabSize');
  }
}
