import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeedError } from '../util/errors.js';
import { chrfFromStatistics, corpusChrf, formatChrf, sentenceChrf } from './chrf.js';

function close(actual: number, expected: number, tol: number, what = 'value'): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: expected ${expected} ± ${tol}, got ${actual}`);
}

// Worked by hand from sacreBLEU's definition (defaults: character orders 1–6, β = 2, whitespace
// removed, precision P and recall R averaged over the orders where both sides have n-grams):
//   chrF = 100 · (1 + β²) P R / (β² P + R).
describe('corpusChrf, worked by hand', () => {
  it('averages precision and recall over the effective orders', () => {
    // hyp "ab", ref "abc":
    //   n=1: hyp {a, b} = 2, ref {a, b, c} = 3, matches 2
    //   n=2: hyp {ab} = 1,   ref {ab, bc} = 2,   matches 1
    //   n=3: hyp none,       ref {abc}          → not effective; n=4..6: neither side has any.
    // P = (2/2 + 1/1) / 2 = 1, R = (2/3 + 1/2) / 2 = 7/12
    // chrF2 = 100 · 5 · 1 · 7/12 / (4 · 1 + 7/12) = 100 · (35/12) / (55/12) = 100 · 7/11 = 63.636
    const s = corpusChrf(['ab'], [['abc']]);
    close(s.score, 700 / 11, 1e-9, 'score');
    assert.deepEqual(s.stats.slice(0, 9), [2, 3, 2, 1, 2, 1, 0, 1, 0]);
    assert.equal(s.name, 'chrF2');
    assert.equal(s.signature, 'nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:heed-0.1.0');
    assert.equal(formatChrf(s), 'chrF2 = 63.64');
  });

  it('eps smoothing averages the per-order F over all six orders', () => {
    // Same pair. F₁ = 5 · (2/3) / (4 + 2/3) = 5/7; F₂ = 5 · (1/2) / (4 + 1/2) = 5/9;
    // n=3: P = ε (no hyp 3-grams), R = 0/1 = 0 → F₃ = 0; n=4..6: P = R = ε → F = ε ≈ 0.
    // chrF2 = 100 · (5/7 + 5/9) / 6 = 100 · 80/378 = 21.164
    const s = corpusChrf(['ab'], [['abc']], { epsSmoothing: true });
    close(s.score, 8000 / 378, 1e-9, 'score');
    assert.match(s.signature, /\|eff:no\|/);
  });

  it('sums statistics over the corpus before scoring (not a mean of sentence scores)', () => {
    // Segment "a b" vs "ab" (spaces removed: identical): n=1 2/2/2, n=2 1/1/1.
    // Segment "c" vs "d": n=1 1/1/0; no 2-grams on either side.
    // Corpus: n=1 hyp 3, ref 3, match 2; n=2 1, 1, 1 → P = R = (2/3 + 1) / 2 = 5/6 → chrF = 83.333,
    // while the sentence scores are 100 and 0 (mean 50).
    const s = corpusChrf(['a b', 'c'], [['ab', 'd']]);
    close(s.score, 250 / 3, 1e-9, 'score');
    close(sentenceChrf('a b', ['ab']).score, 100, 1e-9, 'sentence 1');
    assert.equal(sentenceChrf('c', ['d']).score, 0);
  });

  it('with several references, each segment uses the reference with the best F', () => {
    // hyp "abc": against "xyz" nothing matches (F = 0); against "abd":
    //   n=1 3/3/2, n=2 2/2/1 (ab), n=3 1/1/0 → P = R = (2/3 + 1/2 + 0) / 3 = 7/18 → 38.889.
    const s = corpusChrf(['abc'], [['xyz'], ['abd']]);
    close(s.score, 700 / 18, 1e-9, 'score');
    assert.match(s.signature, /^nrefs:2\|/);
  });

  it('lowercase', () => {
    // "TheCat" vs "thecat": n-grams holding 'T' or 'C' miss, so the score is below 100;
    // lowercased the two are identical → 100.
    close(corpusChrf(['The Cat'], [['the cat']], { lowercase: true }).score, 100, 1e-9, 'lc');
    assert.ok(corpusChrf(['The Cat'], [['the cat']]).score < 100);
  });

  it('rejects bad statistics and misaligned streams', () => {
    assert.throws(() => chrfFromStatistics([1, 2, 3]), HeedError);
    assert.throws(() => corpusChrf(['a', 'b'], [['a']]), {
      message: 'chrf: reference stream 1 has 1 segments but there are 2 hypotheses',
    });
  });
});

// Figures from sacreBLEU's test/test_chrf.py (mjpost/sacrebleu), tolerance 1e-4 as there.
describe('corpusChrf reproduces sacreBLEU test_chrf.py', () => {
  const t = (h: string[], r: string[], expected: number, opts: Parameters<typeof corpusChrf>[2]): void =>
    close(corpusChrf(h, [r], opts).score, expected, 1e-4, JSON.stringify([h, r]));

  it('test_chrf: β = 3 with eps smoothing', () => {
    const opts = { charOrder: 6, wordOrder: 0, beta: 3, epsSmoothing: true };
    t(['abcdefg'], ['hijklmnop'], 0.0, opts);
    t(['a'], ['b'], 0.0, opts);
    t([''], ['b'], 0.0, opts);
    t([''], ['ref'], 0.0, opts);
    t([''], ['reference'], 0.0, opts);
    t(['aa'], ['ab'], 8.3333, opts);
    t(['a', 'b'], ['a', 'c'], 8.3333, opts);
    t(['a'], ['a'], 16.6667, opts);
    t(['a b c'], ['a b c'], 50.0, opts);
    t(['a b c'], ['abc'], 50.0, opts);
    t(
      [
        ' risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .',
      ],
      [
        'risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .',
      ],
      63.36173,
      opts,
    );
    t(
      [' Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. '],
      ['Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.'],
      64.1302698,
      opts,
    );
    t(
      ['Niemand hat die Absicht, eine Mauer zu errichten'],
      ['Niemand hat die Absicht, eine Mauer zu errichten'],
      100.0,
      opts,
    );
  });

  it('test_chrf_eff_order: β = 3, effective-order averaging (the default)', () => {
    const opts = { beta: 3 };
    t(['a'], ['a'], 100.0, opts);
    t([''], ['reference'], 0.0, opts);
    t(['a b c'], ['a b c'], 100.0, opts);
    t(['a b c'], ['abc'], 100.0, opts);
    t([''], ['c'], 0.0, opts);
    t(['a', 'b'], ['a', 'c'], 50.0, opts);
    t(['aa'], ['ab'], 25.0, opts);
  });

  it('test_chrf_keep_whitespace: β = 3, whitespace kept', () => {
    const opts = { beta: 3, whitespace: true };
    t(
      ['Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich.'],
      ['Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.'],
      67.3481606,
      opts,
    );
    t(
      [
        'risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .',
      ],
      [
        'risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .',
      ],
      65.2414427,
      opts,
    );
  });

  it('test_chrf_sentence_level: β = 2 with eps smoothing', () => {
    const cases: [string, string, number][] = [
      [
        'Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.',
        'Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře.',
        39.14078509,
      ],
      [
        'Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři.',
        'A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři.',
        31.22557079,
      ],
      [
        'Lapali po dechu, jejich životy skončily dřív, než skutečně začaly.',
        'Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli.',
        57.15704367,
      ],
    ];
    for (const [hyp, ref, expected] of cases) {
      close(sentenceChrf(hyp, [ref], { epsSmoothing: true }).score, expected, 1e-4, hyp);
    }
  });
});

describe('chrF++', () => {
  it('adds word unigrams and bigrams, splitting one punctuation mark off a word end', () => {
    // hyp "a b." vs ref "a b.": characters identical (a, b, . → every order matches) and words
    // [a, b, .] on both sides → every effective order has P = R = 1 → 100.
    const s = corpusChrf(['a b.'], [['a b.']], { wordOrder: 2 });
    close(s.score, 100, 1e-9, 'score');
    assert.equal(s.name, 'chrF2++');
    assert.match(s.signature, /\|nc:6\|nw:2\|/);
    // Only one mark comes off, the end first: "(hi)" → "(hi", ")" (sacreBLEU issue #124 keeps this),
    // while "( hi )" → "(", "hi", ")". Word 1-grams (the 7th order): hyp 2, ref 3, matches 1 (")").
    const q = corpusChrf(['(hi)'], [['( hi )']], { wordOrder: 1 });
    assert.deepEqual(q.stats.slice(18, 21), [2, 3, 1]);
  });
});
