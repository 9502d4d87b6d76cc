import { expectBoolean, expectObject, expectOneOf, expectVersion } from '../validate.js';
import {
  type CharTokenizerJSON,
  type Normalization,
  normalizations,
  prepare,
  type Tokenizer,
} from './tokenizer.js';

export interface CharTokenizerOptions {
  /** Lowercase before splitting. Default false. */
  lowercase?: boolean;
  /** Unicode normalisation first. Default 'NFC'. */
  normalize?: Normalization;
  /**
   * What a character is. 'grapheme' (the default): what a reader sees as one character, so an
   * emoji with modifiers or a letter with a combining accent stays one token (Intl.Segmenter);
   * 'codepoint': one Unicode code point, as Python's `list(text)`.
   */
  unit?: 'grapheme' | 'codepoint';
}

/**
 * Text as a sequence of characters, spaces included. `detokenize` concatenates, so the round trip
 * is exact for normalised, non-lowercased text.
 */
export class CharTokenizer implements Tokenizer {
  readonly kind = 'char';
  readonly lowercase: boolean;
  readonly normalize: Normalization;
  readonly unit: 'grapheme' | 'codepoint';
  private readonly segmenter: Intl.Segmenter | undefined;

  constructor(options: CharTokenizerOptions = {}) {
    this.lowercase = options.lowercase ?? false;
    this.normalize = options.normalize ?? 'NFC';
    this.unit = options.unit ?? 'grapheme';
    this.segmenter =
      this.unit === 'grapheme' ? new Intl.Segmenter(undefined, { granularity: 'grapheme' }) : undefined;
  }

  tokenize(text: string): string[] {
    const prepared = prepare(text, this.normalize, this.lowercase);
    if (this.segmenter === undefined) return Array.from(prepared);
    return Array.from(this.segmenter.segment(prepared), (s) => s.segment);
  }

  detokenize(tokens: readonly string[]): string {
    return tokens.join('');
  }

  toJSON(): CharTokenizerJSON {
    return {
      kind: 'char',
      version: 1,
      lowercase: this.lowercase,
      normalize: this.normalize,
      unit: this.unit,
    };
  }

  static fromJSON(json: unknown, source = 'tokenizer JSON'): CharTokenizer {
    const o = expectObject(json, source, 'the char tokenizer', [
      'kind',
      'version',
      'lowercase',
      'normalize',
      'unit',
    ]);
    expectOneOf(o.kind, ['char'], source, 'kind');
    expectVersion(o.version, 1, source);
    return new CharTokenizer({
      lowercase: expectBoolean(o.lowercase, source, 'lowercase'),
      normalize: expectOneOf(o.normalize, normalizations, source, 'normalize'),
      unit: expectOneOf(o.unit, ['grapheme', 'codepoint'] as const, source, 'unit'),
    });
  }
}
