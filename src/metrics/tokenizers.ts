/**
 * The BLEU tokenizers heed offers, by the names sacreBLEU gives them (its `--tokenize` choices and
 * the `tok:` field of a signature).
 */

import { HeedError } from '../util/errors.js';
import { codePoints } from './python-text.js';
import { tokenize13a } from './tokenize13a.js';

/** `13a`: mteval-v13a (sacreBLEU's default); `none`: the text as given; `char`: every character. */
export type BleuTokenizerName = '13a' | 'none' | 'char';

/** Each tokenizer maps one segment to space-separated tokens. */
export const bleuTokenizers: Readonly<Record<BleuTokenizerName, (line: string) => string>> = {
  '13a': tokenize13a,
  // sacreBLEU's NoneTokenizer: BLEU then splits on whitespace only.
  none: (line) => line,
  // sacreBLEU's TokenizerChar: `" ".join(line)` over code points; whitespace characters become
  // empty fields when BLEU splits, so they drop out.
  char: (line) => codePoints(line).join(' '),
};

/** The tokenizer names, in the order help text lists them. */
export const BLEU_TOKENIZER_NAMES: readonly BleuTokenizerName[] = ['13a', 'none', 'char'];

/** Narrows a user-supplied name to a tokenizer name, or throws naming the choices. */
export function parseBleuTokenizer(name: string, context: string): BleuTokenizerName {
  const found = BLEU_TOKENIZER_NAMES.find((t) => t === name);
  if (found === undefined) {
    throw new HeedError(
      `${context}: unknown tokenizer '${name}'; choose one of ${BLEU_TOKENIZER_NAMES.join(', ')}`,
    );
  }
  return found;
}
