/**
 * sacreBLEU's default BLEU tokenizer, '13a': the tokenization of NIST's `mteval-v13a.pl`, used
 * by WMT. Follows sacreBLEU's `tokenizers/tokenizer_13a.py` (the language-independent part)
 * and `tokenizers/tokenizer_re.py` (the four regular expressions), step for step.
 */

import { pySplit } from './python-text.js';

/**
 * mteval-v13a's punctuation class `[\{-\~\[-\` -\&\(-\+\:-\@\/]`, spelled in hex because the
 * `u` flag forbids its identity escapes: `{|}~`, `[\]^_` + backtick, space to `&`, `(` to `+`,
 * `:` to `@`, and `/`. Left out: letters, digits, `'`, `,`, `-` and `.`.
 */
const PUNCTUATION = /([\x7b-\x7e\x5b-\x60\x20-\x26\x28-\x2b\x3a-\x40\x2f])/gu;
/** A period or comma not preceded by a digit. */
const PERIOD_COMMA_AFTER_NON_DIGIT = /([^0-9])([.,])/gu;
/** A period or comma not followed by a digit. */
const PERIOD_COMMA_BEFORE_NON_DIGIT = /([.,])([^0-9])/gu;
/** A dash preceded by a digit. */
const DASH_AFTER_DIGIT = /([0-9])(-)/gu;

/**
 * Tokenizes one segment as sacreBLEU's `Tokenizer13a` does:
 *
 * 1. remove `<skipped>`; join lines broken at a hyphen (`-\n` → ''); newline → space;
 * 2. unescape `&quot;` `&amp;` `&lt;` `&gt;`, in that order (so `&amp;lt;` becomes `<`);
 * 3. pad with a space on each side and apply, in order, the mteval-v13a substitutions:
 *    punctuation `([{-~[-` -&(-+:-@/])` → ` \1 `; `([^0-9])([.,])` → `\1 \2 `;
 *    `([.,])([^0-9])` → ` \1 \2`; `([0-9])(-)` → `\1 \2 `;
 * 4. collapse whitespace (Python's `' '.join(line.split())`).
 *
 * Each substitution scans left to right without overlapping matches, as Python's `re.sub` and
 * JavaScript's global `replace` both do; so in `"1,000."` the comma stays (a digit precedes
 * it), and in `"a.,b"` the comma is split only by the third rule.
 */
export function tokenize13a(line: string): string {
  line = line.replaceAll('<skipped>', '');
  line = line.replaceAll('-\n', '');
  line = line.replaceAll('\n', ' ');
  line = line.replaceAll('&quot;', '"');
  line = line.replaceAll('&amp;', '&');
  line = line.replaceAll('&lt;', '<');
  line = line.replaceAll('&gt;', '>');

  line = ` ${line} `;
  line = line.replace(PUNCTUATION, ' $1 ');
  line = line.replace(PERIOD_COMMA_AFTER_NON_DIGIT, '$1 $2 ');
  line = line.replace(PERIOD_COMMA_BEFORE_NON_DIGIT, ' $1 $2');
  line = line.replace(DASH_AFTER_DIGIT, '$1 $2 ');
  return pySplit(line).join(' ');
}
