import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pyFixed, pyRstrip, pySplit } from './python-text.js';
import { tokenize13a } from './tokenize13a.js';
import { bleuTokenizers } from './tokenizers.js';

// Each expectation is worked out from the mteval-v13a rules as sacreBLEU applies them, in order:
//   R1 punctuation [{-~ [-` space-& (-+ :-@ /] → ' \1 '   R2 ([^0-9])([.,]) → '\1 \2 '
//   R3 ([.,])([^0-9]) → ' \1 \2'                          R4 ([0-9])(-) → '\1 \2 '
// then whitespace collapsed. (All agree with sacreBLEU 2.6.0's Tokenizer13a.)
describe('tokenize13a', () => {
  it('splits punctuation off words', () => {
    // R1 splits '!' (0x21); R2 splits ',' after the non-digit 'o'.
    assert.equal(tokenize13a('Hello, world!'), 'Hello , world !');
    // '%', '@', ':' are in R1's class; so are '{', '}', '~', '+', '/', '#'.
    assert.equal(tokenize13a('50% off @ 9:30'), '50 % off @ 9 : 30');
    assert.equal(tokenize13a('x{y}~z'), 'x { y } ~ z');
    assert.equal(tokenize13a('C++/C#'), 'C + + / C #');
    // Non-ASCII punctuation is not in the class: '«' and '»' stay attached.
    assert.equal(tokenize13a('«Ça va?»'), '«Ça va ? »');
  });

  it('keeps periods and commas inside numbers', () => {
    // '3.14': R2 needs a non-digit before '.', R3 a non-digit after it; neither holds. Same for '1,000'.
    assert.equal(tokenize13a('3.14 and 1,000'), '3.14 and 1,000');
    // '$' is R1; the final '.' follows a digit (R2 fails) but precedes the padding space (R3 splits it).
    assert.equal(tokenize13a('costs $5.00.'), 'costs $ 5.00 .');
    assert.equal(tokenize13a('5,5.'), '5,5 .');
  });

  it('splits every period after a letter, and scans without overlap', () => {
    assert.equal(tokenize13a('End.'), 'End .');
    // R2 matches 'U.', 'S.', 'A.' in turn; the apostrophe is not in R1's class.
    assert.equal(tokenize13a("it's U.S.A."), "it's U . S . A .");
    // R2 consumes 'a.', so ',' (preceded by the consumed '.') is split by R3 instead.
    assert.equal(tokenize13a('a.,b'), 'a . , b');
  });

  it('splits a dash only after a digit', () => {
    assert.equal(tokenize13a('e-mail'), 'e-mail');
    assert.equal(tokenize13a('1995-96'), '1995 - 96');
    // R4: '2-' and then '3-' (the scan resumes after the first replacement).
    assert.equal(tokenize13a('2-3-4'), '2 - 3 - 4');
    // 'a-' has no digit before the dash; '1-' does.
    assert.equal(tokenize13a('a-1-b'), 'a-1 - b');
  });

  it('unescapes the four HTML entities, in order, before splitting', () => {
    assert.equal(tokenize13a('&quot;Hi&quot;'), '" Hi "');
    // '&amp;lt;' → '&lt;' → '<' because &lt; is replaced after &amp;.
    assert.equal(tokenize13a('&amp;lt;b&amp;gt;'), '< b >');
    // Other entities are left alone ('&' and ';' are both in R1's class).
    assert.equal(tokenize13a('&apos;'), '& apos ;');
  });

  it('removes <skipped>, joins hyphenated line breaks and turns newlines into spaces', () => {
    assert.equal(tokenize13a('a <skipped> b'), 'a b');
    assert.equal(tokenize13a('inter-\nnational'), 'international');
    assert.equal(tokenize13a('line one\nline two'), 'line one line two');
  });

  it("collapses whitespace as Python's str.split() does", () => {
    assert.equal(tokenize13a('  a \t b\u00a0c\u2003d  '), 'a b c d');
    assert.equal(tokenize13a(''), '');
  });
});

describe('BLEU tokenizers', () => {
  it("'none' passes text through and 'char' spaces out code points", () => {
    assert.equal(bleuTokenizers.none('a,b.'), 'a,b.');
    assert.equal(bleuTokenizers.char('ab c'), 'a b   c');
    // An astral character is one token, as Python indexes str by code point.
    assert.equal(bleuTokenizers.char('a😀'), 'a 😀');
  });
});

describe('Python string semantics', () => {
  it("pySplit and pyRstrip use Python's whitespace, not JavaScript's", () => {
    // U+001C and U+0085 are whitespace to Python; U+FEFF (a BOM) is not.
    assert.deepEqual(pySplit('a\u001cb\u0085c'), ['a', 'b', 'c']);
    assert.deepEqual(pySplit('\ufeffa b'), ['\ufeffa', 'b']);
    assert.equal(pyRstrip('ab \r\n\t'), 'ab');
    assert.equal(pyRstrip('ab\ufeff'), 'ab\ufeff');
  });

  it("pyFixed rounds exact ties half to even, as f'{x:.nf}'", () => {
    assert.equal(pyFixed(6.25, 1), '6.2'); // toFixed gives 6.3
    assert.equal(pyFixed(0.125, 2), '0.12'); // toFixed gives 0.13
    assert.equal(pyFixed(0.375, 2), '0.38');
    assert.equal(pyFixed(2.675, 2), '2.67'); // not a tie: 2.675 is stored as 2.67499999...
    assert.equal(pyFixed(100, 2), '100.00');
    assert.equal(pyFixed(-0.001, 2), '-0.00');
  });
});
