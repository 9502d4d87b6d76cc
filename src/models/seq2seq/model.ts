import type { StepDecoder, StepOutput } from '../../decode/types.js';
import type { InitOptions } from '../../nn/init.js';
import { Module } from '../../nn/module.js';
import { crossEntropy } from '../../ops/loss.js';
import { logSoftmax } from '../../ops/softmax.js';
import type { Tensor } from '../../tensor/tensor.js';
import { HeedError } from '../../util/errors.js';
import { SourceAttention, type SourceMemory, selectMemoryRows } from './attention.js';
import { type ResolvedSeq2SeqConfig, resolveSeq2SeqConfig, type Seq2SeqConfig } from './config.js';
import { LuongDecoder, type RecurrentDecoder, Seed001Decoder } from './decoder.js';
import { Seq2SeqEncoder } from './encoder.js';
import { type CheckedTokens, checkRows, checkTokens, sourceMask, type TokenBatch } from './inputs.js';
import { type RecurrentState, selectStateRows } from './recurrent-stack.js';

/** Teacher-forced output of {@link Seq2Seq.forward}. */
export interface Seq2SeqOutput {
  /** [B, Tt, V]: position t scores the token after tgtIn[.., ≤ t]. */
  logits: Tensor;
  /** Attention over the source [B, Tt, Ts] (rows sum to 1 over real tokens, 0 on padding); null for 'none'. */
  attention: Tensor | null;
}

/** The three sides of a teacher-forcing batch (src/data's Seq2SeqBatch is one). */
export interface Seq2SeqBatchLike {
  src: TokenBatch;
  tgtIn: TokenBatch;
  tgtOut: TokenBatch;
}

export interface Seq2SeqLossOptions {
  /** ε of label smoothing (default 0). */
  labelSmoothing?: number;
}

/**
 * The decoding state of {@link Seq2Seq}: the decoder's recurrent state for each of the R rows,
 * and the encoder memory those rows attend to. Opaque to the search algorithms.
 */
export interface Seq2SeqState {
  decoder: RecurrentState;
  /** The memory of the current rows [R, Ts, …]; null without attention. */
  memory: SourceMemory | null;
  /** The memory of the encoded batch, one row per source. */
  sources: SourceMemory | null;
  /** Which source each row decodes (beam search repeats and reorders rows). */
  sourceOf: Int32Array;
}

/**
 * The recurrent sequence-to-sequence model (seed 001): an embedding + (bi)GRU/LSTM encoder, a
 * bridge to the decoder's initial state, and a GRU/LSTM decoder attending over the encoder
 * states — with the attention and the decoder wiring chosen by the config (config.ts). Parameters
 * are `encoder.*` and `decoder.*` (the attention under `decoder.attention.*`).
 *
 *   forward(src, tgtIn)  teacher forcing → logits [B, Tt, V], attention [B, Tt, Ts]
 *   loss(batch)          cross-entropy over tgtOut, padding ignored
 *   encode(src), step(tokens, state), selectRows(state, rows)   the StepDecoder that greedy,
 *                        beam and sampling search run (src/decode), one attention row per step.
 * Decoding needs no gradients: run the search under `noGrad` and the model in `eval()` mode.
 */
export class Seq2Seq extends Module implements StepDecoder<Seq2SeqState> {
  readonly config: ResolvedSeq2SeqConfig;
  readonly encoder: Seq2SeqEncoder;
  readonly decoder: RecurrentDecoder;

  constructor(config: Seq2SeqConfig, init?: InitOptions) {
    super();
    const c = resolveSeq2SeqConfig(config);
    this.config = c;
    this.encoder = this.addModule('encoder', new Seq2SeqEncoder(c, init));
    const attention =
      c.attention === 'none'
        ? null
        : new SourceAttention(c.attention, c.hiddenSize, this.encoder.outputSize, c.attentionDim, init);
    const decoder =
      c.decoder === 'luong' ? new LuongDecoder(c, attention, init) : new Seed001Decoder(c, attention, init);
    this.decoder = this.addModule('decoder', decoder);
  }

  /**
   * Teacher forcing: src ids [B, Ts] with lengths, tgtIn ids [B, Tt] (bos + y) →
   * logits [B, Tt, V] and the attention [B, Tt, Ts] (null for attention 'none').
   */
  forward(src: TokenBatch, tgtIn: TokenBatch): Seq2SeqOutput {
    const s = this.checkSource(src);
    const t = checkTokens('Seq2Seq', 'target', tgtIn, this.config.tgtVocabSize, 'tgtVocabSize');
    if (t.batch !== s.batch) {
      throw new HeedError(`Seq2Seq: the source batch has ${s.batch} rows and the target ${t.batch}`);
    }
    const { init, memory } = this.runEncoder(src, s);
    return this.decoder.forward(tgtIn.ids, [t.batch, t.steps], init, memory);
  }

  /**
   * Mean cross-entropy per real target token: logits of (src, tgtIn) against tgtOut, with
   * padId ignored (and optional label smoothing).
   */
  loss(batch: Seq2SeqBatchLike, options: Seq2SeqLossOptions = {}): Tensor {
    const { tgtIn, tgtOut } = batch;
    if (tgtOut.shape[0] !== tgtIn.shape[0] || tgtOut.shape[1] !== tgtIn.shape[1]) {
      throw new HeedError(
        `Seq2Seq.loss: tgtOut shape [${tgtOut.shape.join(', ')}] differs from tgtIn [${tgtIn.shape.join(', ')}]`,
      );
    }
    const { logits } = this.forward(batch.src, tgtIn);
    return crossEntropy(logits, tgtOut.ids, {
      ignoreIndex: this.config.padId,
      labelSmoothing: options.labelSmoothing ?? 0,
    });
  }

  /** Encodes a source batch [B, Ts] into the decoding state of B rows, before the first step. */
  encode(src: TokenBatch): Seq2SeqState {
    const s = this.checkSource(src);
    const { init, memory } = this.runEncoder(src, s);
    const sourceOf = Int32Array.from({ length: s.batch }, (_, i) => i);
    return { decoder: init, memory, sources: memory, sourceOf };
  }

  /** Previous tokens [R] (bos first) → log-probabilities of the next ones [R, V], the attention [R, Ts]. */
  step(tokens: Int32Array, state: Seq2SeqState): StepOutput<Seq2SeqState> {
    const r = state.sourceOf.length;
    if (tokens.length !== r) throw new HeedError(`Seq2Seq.step: ${tokens.length} tokens for ${r} rows`);
    checkTokens(
      'Seq2Seq.step',
      'target',
      { ids: tokens, shape: [r, 1] },
      this.config.tgtVocabSize,
      'tgtVocabSize',
    );
    const out = this.decoder.step(tokens, state.decoder, state.memory);
    const next: Seq2SeqState = { ...state, decoder: out.state };
    const logProbs = logSoftmax(out.logits, -1);
    return out.attention === null
      ? { logProbs, state: next }
      : { logProbs, state: next, attention: out.attention };
  }

  /**
   * The state of rows `rows` in that order. The memory is only copied when some row now reads
   * another source: beam search reorders hypotheses within each source's block of K rows, so its
   * memory stays as it is and only the recurrent state moves.
   */
  selectRows(state: Seq2SeqState, rows: Int32Array): Seq2SeqState {
    checkRows('Seq2Seq', rows, state.sourceOf.length);
    const sourceOf = Int32Array.from(rows, (r) => state.sourceOf[r]);
    const same =
      sourceOf.length === state.sourceOf.length && sourceOf.every((v, i) => v === state.sourceOf[i]);
    const memory = same || state.sources === null ? state.memory : selectMemoryRows(state.sources, sourceOf);
    return { decoder: selectStateRows(state.decoder, rows), memory, sources: state.sources, sourceOf };
  }

  private checkSource(src: TokenBatch): CheckedTokens {
    return checkTokens('Seq2Seq', 'source', src, this.config.srcVocabSize, 'srcVocabSize');
  }

  private runEncoder(
    src: TokenBatch,
    s: CheckedTokens,
  ): { init: RecurrentState; memory: SourceMemory | null } {
    const enc = this.encoder.forward(src.ids, [s.batch, s.steps], s.lengths);
    const init = { hidden: enc.hidden, cell: enc.cell };
    const attention = this.decoder.attention;
    const memory = attention === null ? null : attention.prepare(enc.outputs, sourceMask(s.lengths, s.steps));
    return { init, memory };
  }
}
