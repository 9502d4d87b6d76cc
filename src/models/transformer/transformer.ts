import { noGrad } from '../../autograd/engine.js';
import type { StepDecoder, StepOutput } from '../../decode/types.js';
import { Embedding } from '../../nn/embedding.js';
import { type InitOptions, xavierUniformParam } from '../../nn/init.js';
import { Linear } from '../../nn/linear.js';
import { Module } from '../../nn/module.js';
import type { Parameter } from '../../nn/parameter.js';
import { type DecoderLayerCache, selectDecoderCacheRows } from '../../nn/transformer/decoder-layer.js';
import { SinusoidalPositionalEncoding } from '../../nn/transformer/positional.js';
import { TransformerDecoder, TransformerEncoder } from '../../nn/transformer/stacks.js';
import { mul } from '../../ops/binary.js';
import { crossEntropy } from '../../ops/loss.js';
import { matmul } from '../../ops/matmul.js';
import { mean } from '../../ops/reduce.js';
import { reshape } from '../../ops/shape.js';
import { logSoftmax } from '../../ops/softmax.js';
import { Mask } from '../../tensor/mask.js';
import type { Tensor } from '../../tensor/tensor.js';
import { HeedError } from '../../util/errors.js';
import { checkRows, checkTokens, selectMaskRows, type TokenBatch } from '../seq2seq/inputs.js';
import {
  type ResolvedTransformerConfig,
  resolveTransformerConfig,
  type TransformerConfig,
} from './config.js';

/** What {@link Transformer.forward} returns. */
export interface TransformerOutput {
  /** Next-token logits [B, Tt, V]. */
  logits: Tensor;
  /** Cross-attention weights per decoder layer [B, H, Tt, Ts]: what each target position read. */
  crossAttention: Tensor[];
  /** Encoder self-attention per layer [B, H, Ts, Ts]. */
  encoderAttention: Tensor[];
  /** Decoder (causal) self-attention per layer [B, H, Tt, Tt]. */
  decoderAttention: Tensor[];
}

/** A batch for teacher forcing: a `Seq2SeqBatch` of src/data/batching.ts is one. */
export interface TransformerBatch {
  src: TokenBatch;
  /** bos + y [B, Tt]. */
  tgtIn: TokenBatch;
  /** y + eos [B, Tt], padded with padId (ignored by the loss). */
  tgtOut: TokenBatch;
}

/**
 * The decoding state of R rows (hypotheses): the key/value caches of every decoder layer (the
 * memory projected once, the target positions so far) and the source padding.
 */
export interface TransformerState {
  readonly layers: readonly DecoderLayerCache[];
  /** [R, Ts], true = padding in the source. */
  readonly srcPadding: Mask;
  /** Target positions decoded so far (the next token's position). */
  readonly position: number;
}

/**
 * The encoder–decoder Transformer of Vaswani et al. (2017) for translation:
 *   memory = Encoder(√d·E_src[x] + PE),   logits = W_out · Decoder(√d·E_tgt[y<t] + PE, memory).
 * Pre-norm layers by default (each stack then ends in a LayerNorm), sinusoidal positions (§3.5),
 * embeddings scaled by √dModel (§3.4) and drawn from N(0, 1/dModel) so the scaled inputs have unit
 * variance (as fairseq does; it also keeps tied output logits of order 1). Encoder and decoder
 * matrices are Xavier-uniform, as nn.Transformer initialises them.
 *
 * Source padding comes from `lengths` when the batch has them, else from tokens equal to padId;
 * padded sources are ignored as keys. Target padding needs no mask: with right padding and causal
 * attention no real position sees a padded one, and padded targets are ignored by the loss.
 *
 * It is a {@link StepDecoder}: `initialState(src)` encodes once and projects the memory for
 * every layer's cross-attention; each `step` then feeds one token per row through the decoder
 * with a key/value cache, and returns the last layer's cross-attention averaged over heads
 * [R, Ts] for alignment heatmaps. Decode in eval mode (`model.eval()`), or dropout stays on.
 */
export class Transformer extends Module implements StepDecoder<TransformerState> {
  readonly config: ResolvedTransformerConfig;
  readonly srcEmbed: Embedding;
  readonly tgtEmbed: Embedding;
  readonly positional: SinusoidalPositionalEncoding;
  readonly encoder: TransformerEncoder;
  readonly decoder: TransformerDecoder;
  /** Linear(dModel → V); null when tied to the target embedding. */
  readonly outProj: Linear | null;

  constructor(config: TransformerConfig, init?: InitOptions) {
    super();
    const c = resolveTransformerConfig(config);
    this.config = c;
    const d = c.dModel;
    const embed = (vocab: number): Embedding => {
      const e = new Embedding(vocab, d, { paddingIdx: c.padId }, init);
      for (let i = 0; i < e.weight.size; i++) e.weight.data[i] /= Math.sqrt(d); // N(0, 1/d)
      return e;
    };
    this.srcEmbed = this.addModule('src_embed', embed(c.srcVocabSize));
    this.tgtEmbed = this.addModule('tgt_embed', embed(c.tgtVocabSize));
    this.positional = this.addModule('positional', new SinusoidalPositionalEncoding(d, c.maxLen, c.dropout));
    const layers = {
      nhead: c.nhead,
      dimFeedforward: c.dimFeedforward,
      dropout: c.dropout,
      normFirst: c.normFirst,
    };
    this.encoder = this.addModule(
      'encoder',
      new TransformerEncoder(d, { ...layers, numLayers: c.numEncoderLayers }, init),
    );
    this.decoder = this.addModule(
      'decoder',
      new TransformerDecoder(d, { ...layers, numLayers: c.numDecoderLayers }, init),
    );
    for (const p of [...this.encoder.parameters(), ...this.decoder.parameters()]) {
      if (p.ndim > 1) xavierUniform(p, init);
    }
    this.outProj = c.tieEmbeddings
      ? null
      : this.addModule('out_proj', new Linear(d, c.tgtVocabSize, {}, init));
  }

  /**
   * Teacher forcing: src [B, Ts], tgtIn [B, Tt] (bos + y) → logits [B, Tt, V] and the attention
   * weights of every layer.
   */
  forward(src: TokenBatch, tgtIn: TokenBatch): TransformerOutput {
    const { memory, srcPadding, encoderAttention } = this.encode(src);
    const [b, tt] = this.checkSide('target', tgtIn, this.config.tgtVocabSize, 'tgtVocabSize');
    const y = this.embed(this.tgtEmbed, tgtIn.ids, b, tt, 0); // [B, Tt, D]
    const dec = this.decoder.forward(y, memory, { causal: true, memoryKeyPaddingMask: srcPadding });
    return {
      logits: this.project(dec.output), // [B, Tt, V]
      crossAttention: dec.crossWeights,
      encoderAttention,
      decoderAttention: dec.selfWeights,
    };
  }

  /**
   * Mean cross-entropy per real target token (padId targets ignored), with optional label
   * smoothing ε (Vaswani et al. used 0.1).
   */
  loss(batch: TransformerBatch, options: { labelSmoothing?: number } = {}): Tensor {
    const { logits } = this.forward(batch.src, batch.tgtIn);
    const [b, tt] = this.checkSide('target', batch.tgtOut, this.config.tgtVocabSize, 'tgtVocabSize');
    if (b !== batch.tgtIn.shape[0] || tt !== batch.tgtIn.shape[1]) {
      throw new HeedError(
        `Transformer.loss: tgtOut [${b}, ${tt}] must have the shape of tgtIn [${batch.tgtIn.shape.join(', ')}]`,
      );
    }
    return crossEntropy(logits, batch.tgtOut.ids, {
      ignoreIndex: this.config.padId,
      labelSmoothing: options.labelSmoothing ?? 0,
    });
  }

  /**
   * The encoder alone: src [B, Ts] → memory [B, Ts, D], the source padding [B, Ts] (true = pad)
   * and the encoder self-attention per layer.
   */
  encode(src: TokenBatch): { memory: Tensor; srcPadding: Mask; encoderAttention: Tensor[] } {
    const [b, ts] = this.checkSide('source', src, this.config.srcVocabSize, 'srcVocabSize');
    const srcPadding = this.paddingOf(src, b, ts);
    const x = this.embed(this.srcEmbed, src.ids, b, ts, 0); // [B, Ts, D]
    const enc = this.encoder.forward(x, { keyPaddingMask: srcPadding });
    return { memory: enc.output, srcPadding, encoderAttention: enc.selfWeights };
  }

  /** Encodes the sources once and projects the memory for every decoder layer: the state before the first step. */
  initialState(src: TokenBatch): TransformerState {
    return noGrad(() => {
      const { memory, srcPadding } = this.encode(src);
      return { layers: this.decoder.initCache(memory), srcPadding, position: 0 };
    });
  }

  /**
   * One decoding step for R rows: the previous token of each row [R] → log-probabilities [R, V],
   * the grown state, and the last decoder layer's cross-attention averaged over heads [R, Ts].
   */
  step(tokens: Int32Array, state: TransformerState): StepOutput<TransformerState> {
    const r = state.srcPadding.shape[0];
    if (tokens.length !== r) {
      throw new HeedError(`Transformer.step: ${tokens.length} tokens for ${r} rows`);
    }
    if (state.position >= this.config.maxLen) {
      throw new HeedError(
        `Transformer.step: cannot decode past maxLen ${this.config.maxLen} target positions`,
      );
    }
    checkTokens(
      'Transformer',
      'target',
      { ids: tokens, shape: [r, 1] },
      this.config.tgtVocabSize,
      'tgtVocabSize',
    );
    return noGrad(() => {
      const y = this.embed(this.tgtEmbed, tokens, r, 1, state.position); // [R, 1, D]
      const last = this.decoder.layers.length - 1;
      const dec = this.decoder.forwardIncremental(y, state.layers, {
        memoryKeyPaddingMask: state.srcPadding,
      });
      const logits = reshape(this.project(dec.output), [r, this.config.tgtVocabSize]); // [R, V]
      const cross = dec.crossWeights[last]; // [R, H, 1, Ts]
      const ts = state.srcPadding.shape[1];
      return {
        logProbs: logSoftmax(logits, -1),
        state: { layers: dec.caches, srcPadding: state.srcPadding, position: state.position + 1 },
        attention: cross === null ? undefined : reshape(mean(cross, 1), [r, ts]), // [R, Ts]
      };
    });
  }

  /** The state of rows `rows`, in that order (beam search). */
  selectRows(state: TransformerState, rows: Int32Array): TransformerState {
    checkRows('Transformer', rows, state.srcPadding.shape[0]);
    return noGrad(() => ({
      layers: state.layers.map((layer) => selectDecoderCacheRows(layer, rows)),
      srcPadding: selectMaskRows(state.srcPadding, rows),
      position: state.position,
    }));
  }

  /** √d·E[ids] + PE[offset…] (then dropout): [B, T, D]. */
  private embed(
    table: Embedding,
    ids: Int32Array | readonly number[],
    b: number,
    t: number,
    offset: number,
  ): Tensor {
    const x = mul(table.forward(ids, [b, t]), Math.sqrt(this.config.dModel)); // [B, T, D]
    return this.positional.forward(x, offset);
  }

  /** Decoder output [B, T, D] → logits [B, T, V]. */
  private project(h: Tensor): Tensor {
    if (this.outProj !== null) return this.outProj.forward(h);
    return matmul(h, this.tgtEmbed.weight, { transB: true }); // [B, T, V]
  }

  private checkSide(
    side: 'source' | 'target',
    x: TokenBatch,
    vocab: number,
    vocabName: string,
  ): [number, number] {
    const { batch, steps } = checkTokens('Transformer', side, x, vocab, vocabName);
    if (steps > this.config.maxLen) {
      throw new HeedError(`Transformer: ${side} length ${steps} exceeds maxLen ${this.config.maxLen}`);
    }
    return [batch, steps];
  }

  /** [B, Ts], true at padding: past each row's length when lengths are given, else at padId. */
  private paddingOf(src: TokenBatch, b: number, ts: number): Mask {
    const pad = new Uint8Array(b * ts);
    for (let i = 0; i < b; i++) {
      for (let j = 0; j < ts; j++) {
        const lengths = src.lengths;
        pad[i * ts + j] = (
          lengths === undefined
            ? src.ids[i * ts + j] === this.config.padId
            : j >= lengths[i]
        )
          ? 1
          : 0;
      }
    }
    return new Mask(pad, [b, ts]);
  }
}

/** Xavier-uniform in place (nn.Transformer's _reset_parameters), drawing from the init generator. */
function xavierUniform(p: Parameter, init: InitOptions | undefined): void {
  p.data.set(xavierUniformParam(p.shape, 1, init).data);
}
