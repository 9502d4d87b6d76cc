/**
 * The common shape of heed's tokenizers: text → tokens → text, serialisable to JSON.
 * A Vocab then maps tokens to ids; a tokenizer knows nothing about ids.
 */
export interface Tokenizer {
  /** Which tokenizer this is; the `kind` field of its JSON. */
  readonly kind: 'char' | 'word' | 'bpe';
  /** Text → tokens (normalised and, if configured, lowercased first). */
  tokenize(text: string): string[];
  /** Tokens → text; the inverse of `tokenize` up to the rules each tokenizer documents. */
  detokenize(tokens: readonly string[]): string;
  /** A JSON-ready description from which `tokenizerFromJSON` rebuilds an equal tokenizer. */
  toJSON(): TokenizerJSON;
}

/**
 * Unicode normalisation applied before tokenizing. 'NFC' (the default) composes "e" + U+0301
 * into "é", so visually equal text gives equal tokens; 'NFKC' also folds compatibility forms
 * (ligatures, full-width letters); 'none' keeps the text as it is.
 */
export type Normalization = 'NFC' | 'NFKC' | 'none';
export const normalizations: readonly Normalization[] = ['NFC', 'NFKC', 'none'];

/** Normalises and optionally lowercases (locale-independent `toLowerCase`). */
export function prepare(text: string, normalize: Normalization, lowercase: boolean): string {
  const normal = normalize === 'none' ? text : text.normalize(normalize);
  return lowercase ? normal.toLowerCase() : normal;
}

export interface CharTokenizerJSON {
  kind: 'char';
  version: 1;
  lowercase: boolean;
  normalize: Normalization;
  unit: 'grapheme' | 'codepoint';
}

export interface WordTokenizerJSON {
  kind: 'word';
  version: 1;
  lowercase: boolean;
  normalize: Normalization;
  punctuation: 'split' | 'keep' | 'strip';
}

export interface BpeTokenizerJSON {
  kind: 'bpe';
  version: 1;
  /** How text is cut into words before the merges apply. */
  words: Omit<WordTokenizerJSON, 'kind' | 'version'>;
  /** Appended to the last symbol of every word: `low` → `l o w</w>`. */
  endOfWord: string;
  /** The initial symbols seen in training (characters, and characters with the end marker). */
  alphabet: string[];
  /** Merges in the order learned: merge i has rank i. */
  merges: [string, string][];
}

export type TokenizerJSON = CharTokenizerJSON | WordTokenizerJSON | BpeTokenizerJSON;
