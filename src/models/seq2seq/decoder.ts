import { AdditiveScore } from '../../nn/attention/scores.js';
import { Dropout } from '../../nn/dropout.js';
import { Embedding } from '../../nn/embedding.js';
import type { InitOptions } from '../../nn/init.js';
import { Linear } from '../../nn/linear.js';
import { Module } from '../../nn/module.js';
import { GRU, LSTM } from '../../nn/rnn/rnn.js';
import { unbind } from '../../nn/rnn/split.js';
import { attentiveGru } from '../../ops/attentive-gru.js';
import { add } from '../../ops/binary.js';
import { matmul } from '../../ops/matmul.js';
import { concat, reshape, slice, stack, unsqueeze } from '../../ops/shape.js';
import { tanh } from '../../ops/unary.js';
import type { Tensor } from '../../tensor/tensor.js';
import { HeedError } from '../../util/errors.js';
import type { SourceAttention, SourceMemory } from './attention.js';
import type { ResolvedSeq2SeqConfig } from './config.js';
import { RecurrentStack, type RecurrentState, topState } from './recurrent-stack.js';

/** Teacher-forced decoder output. */
export interface DecoderOutput {
  /** [B, Tt, V]. */
  logits: Tensor;
  /** Attention of every target position over the source [B, Tt, Ts]; null without attention. */
  attention: Tensor | null;
}

/** One decoding step. */
export interface DecoderStep {
  /** [R, V]. */
  logits: Tensor;
  state: RecurrentState;
  /** [R, Ts], or null without attention. */
  attention: Tensor | null;
}

/**
 * What both recurrent decoders share: the target embedding, a unidirectional GRU/LSTM stack of
 * numLayers layers, the attention (absent for 'none'), and the output head
 *   h̃_t = tanh(W_c · [features of step t] + b_c)   (`combine`, → H),
 *   logits_t = W_s · dropout(h̃_t) + b_s            (`outProj`, H → V).
 * The features are the decoder's own (see each class). A bottleneck of width H before the
 * vocabulary keeps the largest GEMM at H × V whatever the features' width, as Bahdanau's deep
 * output (2014, A.2.2, with tanh for maxout) and Luong's attentional vector h̃ (2015, eq. 5).
 */
export abstract class RecurrentDecoder extends Module {
  readonly embedding: Embedding;
  readonly dropout: Dropout;
  readonly rnn: GRU | LSTM;
  readonly attention: SourceAttention | null;
  readonly combine: Linear;
  readonly outProj: Linear;
  protected readonly layers: RecurrentStack;
  /** Dv, the context width (0 without attention). */
  readonly contextSize: number;

  protected constructor(
    readonly config: ResolvedSeq2SeqConfig,
    attention: SourceAttention | null,
    rnnInput: number,
    features: number,
    init?: InitOptions,
  ) {
    super();
    const { tgtVocabSize, embedDim, hiddenSize, numLayers, dropout, padId, cell } = config;
    this.embedding = this.addModule(
      'embedding',
      new Embedding(tgtVocabSize, embedDim, { paddingIdx: padId }, init),
    );
    this.dropout = this.addModule('dropout', new Dropout(dropout));
    const rnnConfig = { inputSize: rnnInput, hiddenSize, numLayers, dropout };
    this.rnn = this.addModule('rnn', cell === 'lstm' ? new LSTM(rnnConfig, init) : new GRU(rnnConfig, init));
    this.attention = attention === null ? null : this.addModule('attention', attention);
    this.combine = this.addModule('combine', new Linear(features, hiddenSize, {}, init));
    this.outProj = this.addModule('outProj', new Linear(hiddenSize, tgtVocabSize, {}, init));
    this.layers = new RecurrentStack(this.rnn);
    this.contextSize = attention?.contextSize ?? 0;
  }

  /** Teacher forcing: target inputs [B, Tt] (bos + y) → logits [B, Tt, V] and the attention. */
  abstract forward(
    ids: Int32Array | readonly number[],
    shape: readonly [number, number],
    init: RecurrentState,
    memory: SourceMemory | null,
  ): DecoderOutput;

  /** One step: the previous tokens [R] → logits [R, V] and the next state. */
  abstract step(tokens: Int32Array, state: RecurrentState, memory: SourceMemory | null): DecoderStep;

  /** features [..., F] → logits [..., V] through the output head. */
  protected output(features: Tensor): Tensor {
    return this.outProj.forward(this.dropout.forward(tanh(this.combine.forward(features))));
  }

  /** Embedded (and dropped-out) tokens: ids of `shape` → [...shape, E]. */
  protected embed(ids: Int32Array | readonly number[], shape: readonly number[]): Tensor {
    return this.dropout.forward(this.embedding.forward(ids, shape));
  }

  /** The whole target through the layer stack at once (no per-step input but the token). */
  protected runSequence(e: Tensor, init: RecurrentState): Tensor {
    const h0 = stack(init.hidden, 0); // [L, B, H]
    if (this.rnn instanceof LSTM) {
      if (init.cell === null)
        throw new HeedError(`${this.rnn.label}: an LSTM decoder needs an initial cell state`);
      return this.rnn.forward(e, { h0, c0: stack(init.cell, 0) }).output; // [B, Tt, H]
    }
    return this.rnn.forward(e, { h0 }).output; // [B, Tt, H]
  }

  /** The attention of queries [B, Tq, H]: context [B, Tq, Dv], weights [B, Tq, Ts]. */
  protected attend(attention: SourceAttention, query: Tensor, memory: SourceMemory | null) {
    if (memory === null) throw new HeedError(`${this.constructor.name}: attention needs the encoder memory`);
    return attention.forward(query, memory);
  }
}

/**
 * Seed 001's decoder (the wiring of Bahdanau et al. 2014): at step t
 *   query     s_{t−1}                               (the state before the step; seed 001's Q)
 *   context   c_t = Attn(s_{t−1}, h_1 … h_Ts)       (padding masked)
 *   RNN       s_t = RNN([E y_{t−1} ; c_t], s_{t−1}) (context concatenated with the next input)
 *   output    h̃_t = tanh(W_c [s_t ; c_t ; E y_{t−1}]),  logits = W_s h̃_t
 * The output reads all three, as Bahdanau's t_i = U_o s_{i−1} + V_o E y_{i−1} + C_o c_i (A.2.2;
 * here with s_t, the state that already read c_t). With attention 'none' there is no c_t.
 *
 * Training cost: the step cannot run over the sequence in one call (c_t needs s_{t−1}), but the
 * parts that do not depend on the state are batched over all Tt: the embedding half of layer 0's
 * input projection (W_ih = [W_e | W_c], so W_ih·[e; c] = W_e·e + W_c·c) is one GEMM, and the
 * output head and its H × V projection run once on [B·Tt, …] after the loop. A one-layer GRU
 * runs the whole loop as one fused node (`attentiveGru`, src/ops/attentive-gru.ts), which also
 * moves the context's share of the GRU input and every weight gradient out of the loop; other
 * stacks step through the ops below, the reference that node is tested against.
 */
export class Seed001Decoder extends RecurrentDecoder {
  constructor(config: ResolvedSeq2SeqConfig, attention: SourceAttention | null, init?: InitOptions) {
    const dv = attention?.contextSize ?? 0;
    const { embedDim, hiddenSize } = config;
    super(config, attention, embedDim + dv, hiddenSize + dv + embedDim, init);
  }

  forward(
    ids: Int32Array | readonly number[],
    shape: readonly [number, number],
    init: RecurrentState,
    memory: SourceMemory | null,
  ): DecoderOutput {
    const [b, tt] = shape;
    const e = this.embed(ids, shape); // [B, Tt, E]
    const attention = this.attention;
    if (attention === null) {
      const s = this.runSequence(e, init); // [B, Tt, H]
      return { logits: this.output(concat([s, e], 2)), attention: null };
    }
    const { embedDim } = this.config;
    const wIh = this.layers.weights[0].weightIh; // [G·H, E + Dv] = [W_e | W_c]
    const wE = slice(wIh, 1, 0, embedDim); // [G·H, E]
    const wC = slice(wIh, 1, embedDim); // [G·H, Dv]
    const eProj = this.layers.project(0, reshape(e, [b * tt, embedDim]), this.layers.inputBias(0), wE);
    if (this.rnn instanceof GRU && this.layers.weights.length === 1) {
      if (memory === null)
        throw new HeedError(`${this.constructor.name}: attention needs the encoder memory`);
      const w = this.layers.weights[0];
      const score = attention.score;
      const r = attentiveGru({
        xProj: reshape(eProj, [b, tt, -1]),
        h0: topState(init),
        weightHh: w.weightHh,
        biasHh: w.biasHh,
        weightC: wC,
        keys: memory.keys,
        values: memory.values,
        mask: memory.mask,
        score:
          score instanceof AdditiveScore
            ? { kind: 'additive', queryWeight: score.queryProj.weight, energy: score.energy.weight }
            : { kind: 'dot' },
      });
      return { logits: this.output(concat([r.hidden, r.context, e], 2)), attention: r.weights };
    }
    const eSteps = unbind(reshape(eProj, [b, tt, -1]), 1); // Tt × [B, G·H]
    let state = init;
    const tops: Tensor[] = [];
    const contexts: Tensor[] = [];
    const weights: Tensor[] = [];
    for (let t = 0; t < tt; t++) {
      const att = this.attend(attention, unsqueeze(topState(state), 1), memory); // query s_{t−1}
      const c = reshape(att.context, [b, this.contextSize]); // c_t [B, Dv]
      state = this.layers.step(add(eSteps[t], matmul(c, wC, { transB: true })), state, this.training);
      tops.push(topState(state));
      contexts.push(att.context);
      weights.push(att.weights);
    }
    const s = stack(tops, 1); // [B, Tt, H]
    const c = concat(contexts, 1); // [B, Tt, Dv]
    return { logits: this.output(concat([s, c, e], 2)), attention: concat(weights, 1) };
  }

  step(tokens: Int32Array, state: RecurrentState, memory: SourceMemory | null): DecoderStep {
    const r = tokens.length;
    const e = this.embed(tokens, [r]); // [R, E]
    const attention = this.attention;
    if (attention === null) {
      const next = this.layers.step(this.layers.project(0, e), state, this.training);
      return { logits: this.output(concat([topState(next), e], 1)), state: next, attention: null };
    }
    const att = this.attend(attention, unsqueeze(topState(state), 1), memory); // query s_{t−1}
    const c = reshape(att.context, [r, this.contextSize]); // [R, Dv]
    const next = this.layers.step(this.layers.project(0, concat([e, c], 1)), state, this.training);
    const logits = this.output(concat([topState(next), c, e], 1));
    return { logits, state: next, attention: reshape(att.weights, [r, -1]) };
  }
}

/**
 * Luong et al. (2015) global attention, decoder side: at step t
 *   RNN       s_t = RNN(E y_{t−1}, s_{t−1})
 *   context   c_t = Attn(s_t, h_1 … h_Ts)           (query s_t: the state AFTER the step)
 *   output    h̃_t = tanh(W_c [c_t ; s_t]),  logits = W_s h̃_t      (eq. 5, 6)
 * No input feeding (Luong §3.3 feeds h̃_{t−1} into the next RNN input): without it the
 * recurrence does not depend on the attention, so teacher forcing runs the RNN over the whole
 * target in one call and the attention as ONE batched op for all Tt queries; seed001 is the
 * wiring that puts the context into the recurrence. With attention 'none', h̃_t = tanh(W_c s_t).
 */
export class LuongDecoder extends RecurrentDecoder {
  constructor(config: ResolvedSeq2SeqConfig, attention: SourceAttention | null, init?: InitOptions) {
    const dv = attention?.contextSize ?? 0;
    super(config, attention, config.embedDim, dv + config.hiddenSize, init);
  }

  forward(
    ids: Int32Array | readonly number[],
    shape: readonly [number, number],
    init: RecurrentState,
    memory: SourceMemory | null,
  ): DecoderOutput {
    const s = this.runSequence(this.embed(ids, shape), init); // s_1 … s_Tt [B, Tt, H]
    if (this.attention === null) return { logits: this.output(s), attention: null };
    const att = this.attend(this.attention, s, memory); // [B, Tt, Dv], [B, Tt, Ts]
    return { logits: this.output(concat([att.context, s], 2)), attention: att.weights };
  }

  step(tokens: Int32Array, state: RecurrentState, memory: SourceMemory | null): DecoderStep {
    const r = tokens.length;
    const e = this.embed(tokens, [r]); // [R, E]
    const next = this.layers.step(this.layers.project(0, e), state, this.training);
    const s = topState(next); // s_t [R, H]
    if (this.attention === null) return { logits: this.output(s), state: next, attention: null };
    const att = this.attend(this.attention, unsqueeze(s, 1), memory); // query s_t
    const c = reshape(att.context, [r, this.contextSize]);
    const logits = this.output(concat([c, s], 1));
    return { logits, state: next, attention: reshape(att.weights, [r, -1]) };
  }
}
