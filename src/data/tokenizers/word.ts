import { expectBoolean, expectObject, expectOneOf, expectVersion } from '../validate.js';
import {
  type Normalization,
  normalizations,
  prepare,
  type Tokenizer,
  type WordTokenizerJSON,
} from './tokenizer.js';

/** What happens to punctuation: its own tokens, left attached to words, or removed. */
export type PunctuationMode = 'split' | 'keep' | 'strip';

export interface WordTokenizerOptions {
  /** Lowercase first. Default false. */
  lowercase?: boolean;
  /** Unicode normalisation first. Default 'NFC'. */
  normalize?: Normalization;
  /**
   * 'split' (the default): punctuation marks become tokens of their own (`"Hi!"` → `Hi`, `!`);
   * 'keep': split on whitespace only, punctuation stays on its word (`Hi!`);
   * 'strip': as 'split', then tokens made only of punctuation are dropped.
   */
  punctuation?: PunctuationMode;
}

// A word is a run of letters, marks, digits and connectors (_), which may contain, between two
// such characters, an apostrophe (l'homme, don't, aujourd’hui), a hyphen (dit-il, well-known) or a
// period (3.14, e.g, example.com), and between two digits a comma or colon (1,000 3,14 12:30).
const WORD_CHAR = String.raw`[\p{L}\p{M}\p{N}\p{Pc}]`;
const JOINER = String.raw`(?:['’ʼ\-‐.]|(?<=\p{N})[,:](?=\p{N}))`;
const WORD = `${WORD_CHAR}+(?:${JOINER}${WORD_CHAR}+)*`;
// An emoji with its modifiers and zero-width-joined parts (👍🏽, 👩‍💻) is one token.
const EMOJI = String.raw`\p{Extended_Pictographic}(?:\p{Emoji_Modifier}|\uFE0F|\u200D\p{Extended_Pictographic})*`;
// Anything else that is not whitespace is punctuation or a symbol; a run of one repeated mark
// ("...", "!!", "--") is one token.
const TOKEN = new RegExp(`${WORD}|${EMOJI}|(\\S)\\1*`, 'gu');

const PUNCTUATION_ONLY = /^\p{P}+$/u;
/** Written against the word before: no space in front. */
const CLOSING = /^[.,;:!?…%)\]}»”’›]+$/u;
/** Written against the word after: no space behind. */
const OPENING = /^[([{«“‘‹„¿¡]+$/u;
const CURRENCY = /^\p{Sc}$/u;
const STARTS_WITH_DIGIT = /^\p{N}/u;

/**
 * Words and punctuation, Unicode-aware (accents, apostrophes, numbers stay whole).
 *
 * `detokenize` joins tokens with single spaces, except (in English typographic convention):
 * - no space before closing marks `. , ; : ! ? … % ) ] } » ” ’ ›` (and runs of them: `...`, `?!`);
 * - no space after opening marks `( [ { « “ ‘ ‹ „ ¿ ¡`;
 * - straight quotes `"` and `'` alternate: the first of a pair opens (attaches to the next
 *   token), the second closes (attaches to the previous one);
 * - a currency sign attaches to a number after it (`$5`).
 * So `detokenize(tokenize(s)) === s` for single-spaced text written that way, and
 * `tokenize(detokenize(tokens))` gives the tokens back for any text. French spacing before
 * `; : ! ? »` is not restored (`« Oui ! »` comes back as `«Oui!»`), nor are a possessive
 * `students'` (read as an opening quote) or several spaces in a row. 'keep' and 'strip' join
 * with single spaces.
 */
export class WordTokenizer implements Tokenizer {
  readonly kind = 'word';
  readonly lowercase: boolean;
  readonly normalize: Normalization;
  readonly punctuation: PunctuationMode;

  constructor(options: WordTokenizerOptions = {}) {
    this.lowercase = options.lowercase ?? false;
    this.normalize = options.normalize ?? 'NFC';
    this.punctuation = options.punctuation ?? 'split';
  }

  tokenize(text: string): string[] {
    const prepared = prepare(text, this.normalize, this.lowercase);
    if (this.punctuation === 'keep') return prepared.split(/\s+/u).filter((t) => t.length > 0);
    const tokens = Array.from(prepared.matchAll(TOKEN), (m) => m[0]);
    return this.punctuation === 'strip' ? tokens.filter((t) => !PUNCTUATION_ONLY.test(t)) : tokens;
  }

  detokenize(tokens: readonly string[]): string {
    if (this.punctuation !== 'split') return tokens.join(' ');
    let out = '';
    let glueNext = true; // no space before the first token
    let doubleOpen = false;
    let singleOpen = false;
    for (let i = 0; i < tokens.length; i++) {
      const tok = tokens[i];
      let attachLeft = false;
      let attachRight = false;
      if (tok === '"') {
        [attachLeft, attachRight] = doubleOpen ? [true, false] : [false, true];
        doubleOpen = !doubleOpen;
      } else if (tok === "'") {
        [attachLeft, attachRight] = singleOpen ? [true, false] : [false, true];
        singleOpen = !singleOpen;
      } else if (CLOSING.test(tok)) attachLeft = true;
      else if (OPENING.test(tok)) attachRight = true;
      else if (CURRENCY.test(tok) && i + 1 < tokens.length && STARTS_WITH_DIGIT.test(tokens[i + 1])) {
        attachRight = true;
      }
      out += glueNext || attachLeft ? tok : ` ${tok}`;
      glueNext = attachRight;
    }
    return out;
  }

  /** The options, as stored in JSON (also embedded in a BPE tokenizer's JSON). */
  options(): Required<WordTokenizerOptions> {
    return { lowercase: this.lowercase, normalize: this.normalize, punctuation: this.punctuation };
  }

  toJSON(): WordTokenizerJSON {
    return { kind: 'word', version: 1, ...this.options() };
  }

  static fromJSON(json: unknown, source = 'tokenizer JSON'): WordTokenizer {
    const o = expectObject(json, source, 'the word tokenizer', [
      'kind',
      'version',
      'lowercase',
      'normalize',
      'punctuation',
    ]);
    expectOneOf(o.kind, ['word'], source, 'kind');
    expectVersion(o.version, 1, source);
    return new WordTokenizer(parseWordOptions(o, source, ''));
  }
}

/** Reads the three word-splitting options from a JSON object (fields prefixed `prefix` in messages). */
export function parseWordOptions(
  o: Record<string, unknown>,
  source: string,
  prefix: string,
): Required<WordTokenizerOptions> {
  return {
    lowercase: expectBoolean(o.lowercase, source, `${prefix}lowercase`),
    normalize: expectOneOf(o.normalize, normalizations, source, `${prefix}normalize`),
    punctuation: expectOneOf(o.punctuation, ['split', 'keep', 'strip'], source, `${prefix}punctuation`),
  };
}
