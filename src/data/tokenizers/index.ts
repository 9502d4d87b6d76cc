import { HeedError } from '../../util/errors.js';
import { isRecord, readJsonFile, show, writeJsonFile } from '../validate.js';
import { BpeTokenizer } from './bpe.js';
import { CharTokenizer } from './char.js';
import type { Tokenizer } from './tokenizer.js';
import { WordTokenizer } from './word.js';

export { BpeTokenizer, type BpeTrainOptions } from './bpe.js';
export { CharTokenizer, type CharTokenizerOptions } from './char.js';
export type {
  BpeTokenizerJSON,
  CharTokenizerJSON,
  Normalization,
  Tokenizer,
  TokenizerJSON,
  WordTokenizerJSON,
} from './tokenizer.js';
export { type PunctuationMode, WordTokenizer, type WordTokenizerOptions } from './word.js';

/** Rebuilds any tokenizer from its `toJSON()` output, dispatching on `kind`. */
export function tokenizerFromJSON(json: unknown, source = 'tokenizer JSON'): Tokenizer {
  const kind = isRecord(json) ? json.kind : undefined;
  switch (kind) {
    case 'char':
      return CharTokenizer.fromJSON(json, source);
    case 'word':
      return WordTokenizer.fromJSON(json, source);
    case 'bpe':
      return BpeTokenizer.fromJSON(json, source);
    default:
      throw new HeedError(`${source}: kind must be 'char' | 'word' | 'bpe', got ${show(kind)}`);
  }
}

/** Writes any tokenizer as JSON. */
export function saveTokenizer(tokenizer: Tokenizer, path: string): void {
  writeJsonFile(path, { ...tokenizer.toJSON() }, 'tokenizer');
}

/** Reads a tokenizer written by `saveTokenizer` (or `BpeTokenizer.save`). */
export function loadTokenizer(path: string): Tokenizer {
  return tokenizerFromJSON(readJsonFile(path, 'tokenizer'), path);
}
