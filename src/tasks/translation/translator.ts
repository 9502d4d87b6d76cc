import { noGrad } from '../../autograd/engine.js';
import { padBatch } from '../../data/batching.js';
import { beamSearch } from '../../decode/beam.js';
import { greedySearch } from '../../decode/greedy.js';
import type { Hypothesis } from '../../decode/types.js';
import { HeedError } from '../../util/errors.js';
import type { RunConfig } from '../run-config.js';
import type { TranslationSetup } from './config.js';
import type { Side } from './data.js';
import { positionLimit, type TranslationModel, withDecoder } from './model.js';

/** How to search for translations. */
export interface TranslateOptions {
  /** Beam width; 1 (the default) is greedy search. */
  beamSize?: number;
  /** GNMT length-penalty exponent of beam search (default 0: none). */
  alpha?: number;
  /** Longest output in tokens, end of sentence included (default: 1.5 × longest source + 10). */
  maxLength?: number;
  /** Sentences decoded together (default 64). */
  batchSize?: number;
}

/** One translation. */
export interface Translation {
  /** The detokenised output. */
  text: string;
  /** The output tokens (without the end of sentence). */
  tokens: string[];
  /** The source tokens as the tokenizer cut them (unknown ones are read as <unk>). */
  sourceTokens: string[];
  /** Attention of each output token over the source tokens [tokens][sourceTokens]; null without attention. */
  attention: number[][] | null;
  /** The search's score: Σ log p, divided by the length penalty when alpha > 0. */
  score: number;
  /** The output ids as decoded (end of sentence included when produced). */
  ids: number[];
}

/** A source sentence ready for the model. */
interface Source {
  tokens: string[];
  ids: number[];
}

/**
 * A trained translation model with everything it needs to read and write text: both sides'
 * tokenizers and vocabularies and the model. Made by the task after training, or by
 * `loadTranslator` from a checkpoint; both translate identically.
 */
export class Translator {
  constructor(
    readonly config: RunConfig,
    readonly setup: TranslationSetup,
    readonly src: Side,
    readonly tgt: Side,
    readonly model: TranslationModel,
  ) {}

  /**
   * Tokenizes and encodes source texts. An empty text, or one longer than the model can read,
   * is an error naming its line (1-based, as `lineOffset + index + 1`).
   */
  encodeSources(texts: readonly string[], lineOffset = 0): Source[] {
    const limit = positionLimit(this.model);
    return texts.map((text, i) => {
      const tokens = this.src.tokenizer.tokenize(text);
      const line = lineOffset + i + 1;
      if (tokens.length === 0) throw new HeedError(`translate: input line ${line} is empty`);
      if (tokens.length > limit) {
        throw new HeedError(
          `translate: input line ${line} has ${tokens.length} source tokens, more than the model's maxLen ${limit}`,
        );
      }
      return { tokens, ids: this.src.vocab.encode(tokens) };
    });
  }

  /**
   * Encodes texts for scoring a data set, where no line may stop the run: a source longer than
   * the model can read is cut to fit, an empty one is read as a single <unk>.
   */
  encodeLenient(texts: readonly string[]): Source[] {
    const limit = positionLimit(this.model);
    return texts.map((text) => {
      const tokens = this.src.tokenizer.tokenize(text).slice(0, limit);
      if (tokens.length === 0) return { tokens: [this.src.vocab.specials.unk], ids: [this.src.vocab.unkId] };
      return { tokens, ids: this.src.vocab.encode(tokens) };
    });
  }

  /** Translates texts (see TranslateOptions); errors name the input line. */
  translate(texts: readonly string[], opts: TranslateOptions = {}, lineOffset = 0): Translation[] {
    return this.translateEncoded(this.encodeSources(texts, lineOffset), opts);
  }

  /**
   * Translates encoded sources, shortest first in batches (little padding), results in input
   * order. The model is put in eval mode.
   */
  translateEncoded(sources: readonly Source[], opts: TranslateOptions = {}): Translation[] {
    const beamSize = opts.beamSize ?? 1;
    const batchSize = opts.batchSize ?? 64;
    if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
      throw new HeedError(`translate: batchSize must be a positive integer, got ${batchSize}`);
    }
    this.model.eval();
    const order = sources.map((_, i) => i).sort((a, b) => sources[a].ids.length - sources[b].ids.length);
    const out = new Array<Translation>(sources.length);
    for (let start = 0; start < order.length; start += batchSize) {
      const rows = order.slice(start, start + batchSize);
      const hyps = this.search(
        rows.map((i) => sources[i].ids),
        { ...opts, beamSize },
      );
      rows.forEach((i, r) => {
        out[i] = this.toTranslation(sources[i], hyps[r]);
      });
    }
    return out;
  }

  /** The longest output for a batch whose longest source has `longest` tokens. */
  maxLengthFor(longest: number, requested?: number): number {
    const wanted = requested ?? Math.ceil(1.5 * longest) + 10;
    return Math.max(1, Math.min(wanted, positionLimit(this.model)));
  }

  /** The best hypothesis of each source. */
  private search(ids: readonly number[][], opts: TranslateOptions & { beamSize: number }): Hypothesis[] {
    const batch = padBatch(ids, this.src.vocab.padId);
    const { bosId, eosId } = this.tgt.vocab;
    const longest = Math.max(...ids.map((s) => s.length));
    const search = { bos: bosId, eos: eosId, maxLength: this.maxLengthFor(longest, opts.maxLength) };
    return noGrad(() =>
      withDecoder(this.model, batch, (decoder, state) =>
        opts.beamSize === 1
          ? greedySearch(decoder, state, ids.length, search)
          : beamSearch(decoder, state, ids.length, {
              ...search,
              beamSize: opts.beamSize,
              alpha: opts.alpha ?? 0,
            }).map((best) => best[0]),
      ),
    );
  }

  private toTranslation(source: Source, h: Hypothesis): Translation {
    const { eosId } = this.tgt.vocab;
    const ended = h.tokens.length > 0 && h.tokens[h.tokens.length - 1] === eosId;
    const outIds = ended ? h.tokens.slice(0, -1) : h.tokens;
    const tokens = this.tgt.vocab.decode(outIds);
    const ts = source.ids.length;
    // Rows of the padded batch are cut to this source's length; the end-of-sentence row is dropped.
    const attention =
      h.attention === undefined
        ? null
        : h.attention.slice(0, outIds.length).map((row) => Array.from(row.subarray(0, ts)));
    return {
      text: this.tgt.tokenizer.detokenize(tokens),
      tokens,
      sourceTokens: source.tokens,
      attention,
      score: h.score,
      ids: h.tokens,
    };
  }
}
