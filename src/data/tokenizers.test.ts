import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeedError } from '../util/errors.js';
import { BpeTokenizer, CharTokenizer, tokenizerFromJSON, WordTokenizer } from './tokenizers/index.js';

const english = `She said, "It's 3.14 (roughly)." Don't worry: it costs $5... really?!`;
const french = "L'homme n'est pas là, dit-il. Aujourd’hui, l'été coûte 3,14 € : c'est « déjà » trop !";

describe('CharTokenizer', () => {
  it('splits into characters and joins back exactly (English and French)', () => {
    const t = new CharTokenizer();
    for (const text of [english, french]) assert.equal(t.detokenize(t.tokenize(text)), text);
    assert.deepEqual(t.tokenize("l'été"), ['l', "'", 'é', 't', 'é']);
  });

  it('keeps what a reader sees as one character together (graphemes), or splits code points', () => {
    const text = 'e\u0301 👍🏽';
    assert.deepEqual(new CharTokenizer({ normalize: 'none' }).tokenize(text), ['e\u0301', ' ', '👍🏽']);
    assert.deepEqual(new CharTokenizer({ normalize: 'none', unit: 'codepoint' }).tokenize(text), [
      'e',
      '\u0301',
      ' ',
      '👍',
      '🏽',
    ]);
    // NFC (the default) composes e + U+0301 into é.
    assert.deepEqual(new CharTokenizer({ unit: 'codepoint' }).tokenize('e\u0301'), ['é']);
  });

  it('lowercases on request', () => {
    assert.equal(new CharTokenizer({ lowercase: true }).tokenize('ÉtÉ').join(''), 'été');
  });
});

describe('WordTokenizer', () => {
  it('keeps apostrophes, hyphens, accents and numbers inside words; splits punctuation', () => {
    const t = new WordTokenizer();
    assert.deepEqual(t.tokenize(french), [
      "L'homme",
      "n'est",
      'pas',
      'là',
      ',',
      'dit-il',
      '.',
      'Aujourd’hui',
      ',',
      "l'été",
      'coûte',
      '3,14',
      '€',
      ':',
      "c'est",
      '«',
      'déjà',
      '»',
      'trop',
      '!',
    ]);
    assert.deepEqual(t.tokenize(english), [
      'She',
      'said',
      ',',
      '"',
      "It's",
      '3.14',
      '(',
      'roughly',
      ')',
      '.',
      '"',
      "Don't",
      'worry',
      ':',
      'it',
      'costs',
      '$',
      '5',
      '...',
      'really',
      '?',
      '!',
    ]);
    assert.deepEqual(t.tokenize('Bravo 👍🏽👩‍💻!'), ['Bravo', '👍🏽', '👩‍💻', '!']);
    assert.deepEqual(t.tokenize('1,000.5 and 12:30, e.g. U.S.A.'), [
      '1,000.5',
      'and',
      '12:30',
      ',',
      'e.g',
      '.',
      'U.S.A',
      '.',
    ]);
  });

  it('detokenizes English-spaced text exactly', () => {
    const t = new WordTokenizer();
    assert.equal(t.detokenize(t.tokenize(english)), english);
    const more = "Well-known (and 'quoted') [sic] words, ¿no? «Oui»; 50% done.";
    assert.equal(t.detokenize(t.tokenize(more)), more);
  });

  it('detokenizes French to English spacing, and re-tokenizing gives the same tokens', () => {
    const t = new WordTokenizer();
    const tokens = t.tokenize(french);
    const text = t.detokenize(tokens);
    assert.equal(text, "L'homme n'est pas là, dit-il. Aujourd’hui, l'été coûte 3,14 €: c'est «déjà» trop!");
    assert.deepEqual(t.tokenize(text), tokens);
  });

  it("'keep' splits on whitespace only; 'strip' drops punctuation", () => {
    const keep = new WordTokenizer({ punctuation: 'keep' });
    assert.deepEqual(keep.tokenize("  L'homme  est là,\tdit-il !\n"), [
      "L'homme",
      'est',
      'là,',
      'dit-il',
      '!',
    ]);
    assert.equal(keep.detokenize(keep.tokenize(french)), french);
    const strip = new WordTokenizer({ punctuation: 'strip' });
    assert.deepEqual(strip.tokenize(french), [
      "L'homme",
      "n'est",
      'pas',
      'là',
      'dit-il',
      'Aujourd’hui',
      "l'été",
      'coûte',
      '3,14',
      '€',
      "c'est",
      'déjà',
      'trop',
    ]);
  });

  it('lowercases and normalises to NFC', () => {
    const t = new WordTokenizer({ lowercase: true });
    assert.deepEqual(t.tokenize("L'E\u0301te\u0301 À"), ["l'été", 'à']);
  });
});

describe('tokenizerFromJSON', () => {
  it('restores each kind of tokenizer', () => {
    const bpe = BpeTokenizer.train(['low lower lowest', 'low lower'], { numMerges: 5, lowercase: true });
    for (const t of [
      new CharTokenizer({ lowercase: true, unit: 'codepoint' }),
      new WordTokenizer({ punctuation: 'strip', normalize: 'NFKC' }),
      bpe,
    ]) {
      const back = tokenizerFromJSON(JSON.parse(JSON.stringify(t)));
      assert.equal(back.kind, t.kind);
      assert.deepEqual(back.toJSON(), t.toJSON());
      assert.deepEqual(back.tokenize(french), t.tokenize(french));
    }
  });

  it('rejects unknown kinds and bad fields with one-line messages', () => {
    const oneLine = (pattern: RegExp) => (e: unknown) =>
      e instanceof HeedError && !e.message.includes('\n') && pattern.test(e.message);
    assert.throws(
      () => tokenizerFromJSON({ kind: 'sentencepiece' }),
      oneLine(/kind must be 'char' \| 'word' \| 'bpe', got "sentencepiece"/),
    );
    assert.throws(() => tokenizerFromJSON(null), oneLine(/kind must be/));
    const word = new WordTokenizer().toJSON();
    assert.throws(
      () => tokenizerFromJSON({ ...word, punctuation: 'drop' }),
      oneLine(/punctuation must be 'split' \| 'keep' \| 'strip', got "drop"/),
    );
    assert.throws(
      () => tokenizerFromJSON({ ...word, lowercase: 'yes' }),
      oneLine(/lowercase must be true or false/),
    );
    assert.throws(() => tokenizerFromJSON({ ...word, casing: 1 }), oneLine(/unknown field "casing"/));
    assert.throws(
      () => tokenizerFromJSON({ ...new CharTokenizer().toJSON(), unit: 'byte' }),
      oneLine(/unit must be/),
    );
  });
});
