import type { Seq2SeqBatch } from '../../data/batching.js';
import type { StepDecoder } from '../../decode/types.js';
import { AttentionSeq2Seq, Seq2Seq, type TokenBatch } from '../../models/seq2seq/index.js';
import { Transformer } from '../../models/transformer/index.js';
import { mean } from '../../ops/reduce.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Generator } from '../../util/random.js';
import type { ModelSpec } from './config.js';

/** The encoder–decoders the translation task trains. */
export type TranslationModel = Seq2Seq | AttentionSeq2Seq | Transformer;

/** Builds the model a spec describes over the data's vocabularies, initialised under `seed`. */
export function buildModel(
  spec: ModelSpec,
  srcVocabSize: number,
  tgtVocabSize: number,
  seed: number,
): TranslationModel {
  const init = { generator: new Generator(seed) };
  const sizes = { srcVocabSize, tgtVocabSize };
  switch (spec.kind) {
    case 'seq2seq':
      return new Seq2Seq({ ...spec.config, ...sizes }, init);
    case 'attention-seq2seq':
      return new AttentionSeq2Seq({ ...spec.config, ...sizes }, init);
    case 'transformer':
      return new Transformer({ ...spec.config, ...sizes }, init);
  }
}

/** A short name for tables: 'seq2seq/additive', 'attention-seq2seq', 'transformer'. */
export function modelLabel(spec: ModelSpec): string {
  return spec.kind === 'seq2seq' ? `seq2seq/${spec.config.attention}` : spec.kind;
}

/** Mean cross-entropy per real target token of a teacher-forcing batch. */
export function modelLoss(model: TranslationModel, batch: Seq2SeqBatch, labelSmoothing: number): Tensor {
  return model.loss(batch, { labelSmoothing });
}

/**
 * The longest sequence (source, or target positions) the model can read: the sinusoidal table
 * of the attention models; unbounded for the recurrent one.
 */
export function positionLimit(model: TranslationModel): number {
  return model instanceof Seq2Seq ? Number.POSITIVE_INFINITY : model.config.maxLen;
}

/** Whether the model computes attention over the source at all (seq2seq 'none' does not). */
export function hasAttention(model: TranslationModel): boolean {
  return !(model instanceof Seq2Seq && model.config.attention === 'none');
}

/**
 * Encodes a source batch and hands the model's StepDecoder and its first state to `run` (the
 * three models start decoding differently; the search algorithms need only this pair).
 */
export function withDecoder<R>(
  model: TranslationModel,
  src: TokenBatch,
  run: <S>(decoder: StepDecoder<S>, state: S) => R,
): R {
  if (model instanceof Transformer) return run(model, model.initialState(src));
  if (model instanceof AttentionSeq2Seq) return run(model, model.encode(src));
  return run(model, model.encode(src));
}

/** An attention map: what each target position read of the source. */
export interface AttentionMap {
  title: string;
  /** [Tt][Ts]. */
  weights: number[][];
}

/** Rows of a [1, Tt, Ts] (or [Tt, Ts]) tensor as arrays. */
function rowsOf(t: Tensor, tt: number, ts: number, offset = 0): number[][] {
  return Array.from({ length: tt }, (_, i) =>
    Array.from(t.data.subarray(offset + i * ts, offset + (i + 1) * ts)),
  );
}

/**
 * The cross-attention of one teacher-forced pair (a batch of one: src [1, Ts], tgtIn [1, Tt]):
 * the model's alignment map, and for the Transformer every layer's map per head plus each
 * layer's mean over heads. Run in eval mode under noGrad.
 */
export function crossAttentionMaps(
  model: TranslationModel,
  src: TokenBatch,
  tgtIn: TokenBatch,
): { main: number[][] | null; maps: AttentionMap[] } {
  const [, ts] = src.shape;
  const [, tt] = tgtIn.shape;
  if (model instanceof Transformer) {
    const { crossAttention } = model.forward(src, tgtIn); // per layer [1, H, Tt, Ts]
    const maps: AttentionMap[] = [];
    crossAttention.forEach((layer, l) => {
      maps.push({ title: `layer ${l + 1}, mean of heads`, weights: rowsOf(mean(layer, 1), tt, ts) });
      const heads = layer.shape[1];
      for (let h = 0; h < heads; h++) {
        maps.push({ title: `layer ${l + 1}, head ${h + 1}`, weights: rowsOf(layer, tt, ts, h * tt * ts) });
      }
    });
    const last = crossAttention[crossAttention.length - 1];
    return { main: rowsOf(mean(last, 1), tt, ts), maps };
  }
  const { attention } = model.forward(src, tgtIn); // [1, Tt, Ts] or null
  return { main: attention === null ? null : rowsOf(attention, tt, ts), maps: [] };
}
