import { HeedError } from '../../util/errors.js';
import { type Infer, v, validate } from '../../util/validate.js';

/** The recurrent cell of encoder and decoder. */
export type Seq2SeqCell = 'gru' | 'lstm';

/**
 * How the decoder looks at the encoder outputs:
 * - 'none': not at all; the source reaches the decoder only through its initial state
 *   (the classic encoder–decoder of Cho et al. 2014 / Sutskever et al. 2014);
 * - 'dot': score(s, h) = s·h (seed 001; Luong's "dot");
 * - 'general': score(s, h) = s·W·h (Luong's "general");
 * - 'additive': score(s, h) = vᵀ·tanh(W₁s + W₂h) (Bahdanau; seed 002).
 */
export type Seq2SeqAttention = 'none' | 'dot' | 'general' | 'additive';

/**
 * Where the attention sits in the decoder step (see decoder.ts):
 * - 'seed001': query s_{t−1}, context fed into the RNN with the next input (seed 001, Bahdanau);
 * - 'luong': query s_t after the RNN step, context combined with s_t for the output (Luong 2015).
 */
export type Seq2SeqDecoderKind = 'seed001' | 'luong';

/** The configuration of {@link Seq2Seq}, as JSON. */
export interface Seq2SeqConfig {
  /** Source vocabulary size (ids 0 … srcVocabSize − 1). */
  srcVocabSize: number;
  /** Target vocabulary size: the width of the logits. */
  tgtVocabSize: number;
  /** Width of the token embeddings, both sides (default 128). */
  embedDim?: number;
  /** Hidden size H of every recurrent layer, encoder and decoder (default 256). */
  hiddenSize?: number;
  /** Recurrent cell (default 'gru'). */
  cell?: Seq2SeqCell;
  /** Recurrent layers in the encoder and, as many, in the decoder (default 1). */
  numLayers?: number;
  /** Bidirectional encoder, outputs 2H wide (default true). The decoder is always left to right. */
  bidirectional?: boolean;
  /** Dropout on embeddings, between recurrent layers and before the output layer (default 0.1). */
  dropout?: number;
  /** Attention score, or 'none' (default 'additive'). */
  attention?: Seq2SeqAttention;
  /** Decoder wiring (default 'seed001'). */
  decoder?: Seq2SeqDecoderKind;
  /** Width A of the additive attention's hidden layer (default hiddenSize). */
  attentionDim?: number;
  /** Padding id of both vocabularies: its embedding is zero, its targets are ignored (default 0). */
  padId?: number;
}

const positive = v.int({ min: 1 });

const schema = v.object({
  srcVocabSize: positive,
  tgtVocabSize: positive,
  embedDim: v.withDefault(positive, 128),
  hiddenSize: v.withDefault(positive, 256),
  cell: v.withDefault(v.oneOf(['gru', 'lstm'] as const), 'gru'),
  numLayers: v.withDefault(positive, 1),
  bidirectional: v.withDefault(v.boolean(), true),
  dropout: v.withDefault(v.number({ min: 0, lt: 1 }), 0.1),
  attention: v.withDefault(v.oneOf(['none', 'dot', 'general', 'additive'] as const), 'additive'),
  decoder: v.withDefault(v.oneOf(['seed001', 'luong'] as const), 'seed001'),
  attentionDim: v.optional(positive),
  padId: v.withDefault(v.int({ min: 0 }), 0),
});

/** A validated configuration with every default filled in. */
export type ResolvedSeq2SeqConfig = Required<Infer<typeof schema>>;

/**
 * Checks a configuration (typically parsed JSON) and fills in the defaults. An unknown key, a
 * value of the wrong type or range, or a padId outside a vocabulary is one line of HeedError
 * naming the key, e.g. `Seq2Seq: config.hiddenSize must be an integer >= 1, got "256" (a string)`.
 */
export function resolveSeq2SeqConfig(config: unknown, source = 'Seq2Seq'): ResolvedSeq2SeqConfig {
  const c = validate(schema, config, source);
  checkPad(source, c.padId, c.srcVocabSize, c.tgtVocabSize);
  return { ...c, attentionDim: c.attentionDim ?? c.hiddenSize };
}

/** padId must be a token of both vocabularies. */
export function checkPad(source: string, padId: number, srcVocabSize: number, tgtVocabSize: number): void {
  const smaller = Math.min(srcVocabSize, tgtVocabSize);
  if (padId >= smaller) {
    throw new HeedError(`${source}: config.padId ${padId} must be below both vocabulary sizes (${smaller})`);
  }
}
