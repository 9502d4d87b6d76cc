import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { HeedError } from '../util/errors.js';
import { Generator } from '../util/random.js';
import { shuffle } from './split.js';
import { BpeTokenizer } from './tokenizers/bpe.js';
import { WordTokenizer } from './tokenizers/word.js';
import { Vocab } from './vocab.js';

// The dictionary of Sennrich et al. (2016), Algorithm 1: low ×5, lower ×2, newest ×6, widest ×3.
const toy = [
  ...Array<string>(5).fill('low'),
  ...Array<string>(2).fill('lower'),
  ...Array<string>(6).fill('newest'),
  ...Array<string>(3).fill('widest'),
];

/*
 * Worked by hand. Words start as `l o w</w>`, `l o w e r</w>`, `n e w e s t</w>`, `w i d e s t</w>`.
 * Ties go to the pair whose left (then right) symbol comes first in code-unit order.
 *  1. e s       9   (ties with s t</w> 9; "e" < "s")
 *  2. es t</w>  9
 *  3. l o       7
 *  4. e w       6   (ties with n e 6 and w est</w> 6; "e" < "n" < "w")
 *  5. ew est</w> 6  (ties with n ew 6; "ew" < "n")
 *  6. n ewest</w> 6
 *  7. lo w</w>  5
 *  8. d est</w> 3   (ties with i d 3 and w i 3)
 *  9. i dest</w> 3  (ties with w i 3)
 * 10. w idest</w> 3
 * 11. e r</w>   2   (ties with lo w 2 and w e 2)
 * 12. lo w      2   (ties with w er</w> 2; "lo" < "w")
 * 13. low er</w> 2
 * after which every word is a single symbol.
 */
const expectedMerges = [
  ['e', 's'],
  ['es', 't</w>'],
  ['l', 'o'],
  ['e', 'w'],
  ['ew', 'est</w>'],
  ['n', 'ewest</w>'],
  ['lo', 'w</w>'],
  ['d', 'est</w>'],
  ['i', 'dest</w>'],
  ['w', 'idest</w>'],
  ['e', 'r</w>'],
  ['lo', 'w'],
  ['low', 'er</w>'],
];

const english = 'The newest widest lower road is lowest; the old one was wider.';
const french = "L'homme n'était pas là aujourd’hui : l'été coûte 3,14 € à Noël, déjà.";

function heedError(pattern: RegExp): (e: unknown) => boolean {
  return (e) => e instanceof HeedError && !e.message.includes('\n') && pattern.test(e.message);
}

/** The textbook algorithm: recount every pair before every merge. Same tie-breaking. */
function naiveMerges(text: string[], numMerges: number, minFrequency: number): string[][] {
  const counts = new Map<string, number>();
  for (const line of text)
    for (const w of line.split(/\s+/u).filter(Boolean)) counts.set(w, (counts.get(w) ?? 0) + 1);
  let words = [...counts].map(([w, c]) => {
    const chars = Array.from(w);
    chars[chars.length - 1] += '</w>';
    return { syms: chars, c };
  });
  const merges: string[][] = [];
  while (merges.length < numMerges) {
    const pairs = new Map<string, { a: string; b: string; n: number }>();
    for (const { syms, c } of words) {
      for (let j = 0; j + 1 < syms.length; j++) {
        const k = `${syms[j]} ${syms[j + 1]}`;
        const p = pairs.get(k) ?? { a: syms[j], b: syms[j + 1], n: 0 };
        p.n += c;
        pairs.set(k, p);
      }
    }
    let best: { a: string; b: string; n: number } | undefined;
    for (const p of pairs.values()) {
      if (
        best === undefined ||
        p.n > best.n ||
        (p.n === best.n && (p.a < best.a || (p.a === best.a && p.b < best.b)))
      )
        best = p;
    }
    if (best === undefined || best.n < minFrequency) break;
    const { a, b } = best;
    merges.push([a, b]);
    words = words.map(({ syms, c }) => {
      const out: string[] = [];
      for (let j = 0; j < syms.length; j++) {
        if (j + 1 < syms.length && syms[j] === a && syms[j + 1] === b) {
          out.push(a + b);
          j++;
        } else out.push(syms[j]);
      }
      return { syms: out, c };
    });
  }
  return merges;
}

/** Pseudo-words with a Zipf-like frequency, as a stand-in for a real corpus. */
function generatedText(targetChars: number, seed: number): string[] {
  const gen = new Generator(seed);
  const letters = 'aeioulnrstdcmpbgéèàç';
  const lexicon = Array.from({ length: 3000 }, () => {
    const len = 2 + gen.int(9);
    return Array.from({ length: len }, () => letters[gen.int(letters.length)]).join('');
  });
  const lines: string[] = [];
  let size = 0;
  while (size < targetChars) {
    const words = Array.from({ length: 12 }, () => lexicon[Math.floor(lexicon.length * gen.uniform() ** 3)]);
    const line = words.join(' ');
    lines.push(line);
    size += line.length + 1;
  }
  return lines;
}

describe('BpeTokenizer.train', () => {
  it('learns the hand-worked merges of the Sennrich et al. toy dictionary', () => {
    const bpe = BpeTokenizer.train(toy, { numMerges: 100 });
    assert.deepEqual(bpe.merges, expectedMerges);
    assert.deepEqual(bpe.alphabet, ['d', 'e', 'i', 'l', 'n', 'o', 'r</w>', 's', 't</w>', 'w', 'w</w>']);
  });

  it('stops at numMerges, at vocabSize symbols, or below minFrequency', () => {
    assert.deepEqual(BpeTokenizer.train(toy, { numMerges: 10 }).merges, expectedMerges.slice(0, 10));
    assert.deepEqual(
      BpeTokenizer.train(toy, { numMerges: 100, minFrequency: 3 }).merges,
      expectedMerges.slice(0, 10),
    );
    const sized = BpeTokenizer.train(toy, { vocabSize: 14 }); // 11 initial symbols + 3 merges
    assert.deepEqual(sized.merges, expectedMerges.slice(0, 3));
    assert.equal(sized.symbols().length, 14);
  });

  it('does not depend on the order of the training text', () => {
    const lines = generatedText(5000, 1);
    const a = BpeTokenizer.train(lines, { numMerges: 200 });
    const b = BpeTokenizer.train(shuffle(lines, new Generator(9)), { numMerges: 200 });
    assert.deepEqual(a.merges, b.merges);
  });

  it('matches the recount-every-merge algorithm on a random corpus', () => {
    const lines = generatedText(20000, 2);
    const fast = BpeTokenizer.train(lines, { numMerges: 300, punctuation: 'keep', minFrequency: 1 });
    assert.deepEqual(fast.merges, naiveMerges(lines, 300, 1));
  });

  it('validates its options', () => {
    assert.throws(() => BpeTokenizer.train(toy, {}), heedError(/exactly one of vocabSize and numMerges/));
    assert.throws(() => BpeTokenizer.train(toy, { vocabSize: 20, numMerges: 3 }), heedError(/exactly one/));
    assert.throws(
      () => BpeTokenizer.train(toy, { vocabSize: 5 }),
      heedError(/vocabSize 5 is smaller than the 11 initial symbols/),
    );
    assert.throws(
      () => BpeTokenizer.train(toy, { numMerges: 3, minFrequency: 0 }),
      heedError(/minFrequency/),
    );
    assert.throws(
      () => BpeTokenizer.train(['a</w>b'], { numMerges: 3, punctuation: 'keep' }),
      heedError(/end-of-word marker/),
    );
  });

  it('trains on ~200 KB of text in well under 20 seconds', () => {
    const lines = generatedText(200_000, 3);
    const start = performance.now();
    const bpe = BpeTokenizer.train(lines, { numMerges: 4000 });
    const seconds = (performance.now() - start) / 1000;
    assert.ok(bpe.merges.length > 1000, `only ${bpe.merges.length} merges`);
    assert.ok(seconds < 20, `training took ${seconds.toFixed(1)} s`);
  });
});

describe('BpeTokenizer encode/decode', () => {
  it('applies merges by rank', () => {
    const bpe = BpeTokenizer.train(toy, { numMerges: 100 });
    assert.deepEqual(bpe.encodeWord('lowest'), ['low', 'est</w>']);
    assert.deepEqual(bpe.encodeWord('newer'), ['n', 'ew', 'er</w>']); // e w (rank 3) before e r</w> (rank 10)
    assert.deepEqual(bpe.encodeWord('widest'), ['widest</w>']);
    assert.deepEqual(BpeTokenizer.train(toy, { numMerges: 10 }).encodeWord('lowest'), ['lo', 'w', 'est</w>']);
    // Unseen characters stay single symbols (a Vocab maps them to unk).
    assert.deepEqual(bpe.encodeWord('lowz'), ['low', 'z</w>']);
  });

  it('segments each training word as training left it', () => {
    const lines = generatedText(20000, 4);
    const bpe = BpeTokenizer.train(lines, { numMerges: 150, punctuation: 'keep' });
    // Replay the merges the slow way on a few words.
    for (const word of lines[0].split(' ')) {
      let syms = Array.from(word);
      syms[syms.length - 1] += '</w>';
      for (const [a, b] of bpe.merges) {
        const out: string[] = [];
        for (let j = 0; j < syms.length; j++) {
          if (j + 1 < syms.length && syms[j] === a && syms[j + 1] === b) {
            out.push(a + b);
            j++;
          } else out.push(syms[j]);
        }
        syms = out;
      }
      assert.deepEqual(bpe.encodeWord(word), syms, word);
    }
  });

  it('restores the words exactly (English and French)', () => {
    const bpe = BpeTokenizer.train([english, french, ...generatedText(20000, 5)], { numMerges: 500 });
    const words = new WordTokenizer();
    for (const text of [english, french]) {
      const tokens = bpe.tokenize(text);
      assert.ok(tokens.length > words.tokenize(text).length, 'some words are split into subwords');
      assert.deepEqual(bpe.decodeWords(tokens), words.tokenize(text));
      assert.equal(bpe.detokenize(tokens), words.detokenize(words.tokenize(text)));
    }
    assert.equal(bpe.detokenize(bpe.tokenize(english)), english);
  });

  it('gives its symbols for a vocabulary that covers every token it outputs', () => {
    const bpe = BpeTokenizer.train([english, french], { numMerges: 40, minFrequency: 1 });
    const vocab = Vocab.fromTokens(bpe.symbols());
    assert.ok(!vocab.encode(bpe.tokenize(`${english} ${french}`)).includes(vocab.unkId));
  });

  it('saves and loads, tokenizing identically', () => {
    const dir = mkdtempSync(join(tmpdir(), 'heed-bpe-'));
    const path = join(dir, 'bpe.json');
    const bpe = BpeTokenizer.train([english, french, ...generatedText(10000, 6)], {
      numMerges: 300,
      lowercase: true,
    });
    bpe.save(path);
    const back = BpeTokenizer.load(path);
    assert.deepEqual(back.merges, bpe.merges);
    assert.deepEqual(back.toJSON(), bpe.toJSON());
    for (const text of [english, french]) assert.deepEqual(back.tokenize(text), bpe.tokenize(text));
  });

  it('rejects a malformed merge file with a one-line message', () => {
    const dir = mkdtempSync(join(tmpdir(), 'heed-bpe-'));
    const path = join(dir, 'bpe.json');
    const good = BpeTokenizer.train(toy, { numMerges: 5 }).toJSON();
    const cases: [unknown, RegExp][] = [
      [
        {
          ...good,
          merges: [
            ['e', 's'],
            ['es', 'x'],
          ],
        },
        /merges\[1\] uses "x", which neither the alphabet nor an earlier merge produces/,
      ],
      [
        {
          ...good,
          merges: [
            ['es', 't</w>'],
            ['e', 's'],
          ],
        },
        /merges\[0\] uses "es"/,
      ],
      [
        {
          ...good,
          merges: [
            ['e', 's'],
            ['e', 's'],
          ],
        },
        /merges\[1\] \["e","s"\] appears twice/,
      ],
      [{ ...good, merges: [['e']] }, /merges\[0\] must be a pair of non-empty strings/],
      [{ ...good, endOfWord: '' }, /endOfWord must be a non-empty string/],
      [{ ...good, words: { ...good.words, punctuation: 'x' } }, /words.punctuation must be/],
      [{ ...good, alphabet: ['a', 'a'] }, /alphabet\[1\] "a" appears twice/],
    ];
    for (const [json, pattern] of cases) {
      writeFileSync(path, JSON.stringify(json));
      assert.throws(() => BpeTokenizer.load(path), heedError(new RegExp(`^${path}: ${pattern.source}`)));
    }
    assert.throws(
      () => BpeTokenizer.load(join(dir, 'missing.json')),
      heedError(/^cannot read BPE tokenizer .*missing.json: no such file$/),
    );
  });
});
