import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeedError } from '../util/errors.js';
import { bleuFromStatistics, corpusBleu, formatBleu, sentenceBleu } from './bleu.js';

function close(actual: number, expected: number, tol: number, what = 'value'): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: expected ${expected} ± ${tol}, got ${actual}`);
}

function closeAll(actual: readonly number[], expected: readonly number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((a, i) => {
    close(a, expected[i]!, tol, `${what}[${i}]`);
  });
}

const SIG = (fields: string): string => `${fields}|version:heed-0.1.0`;

// Worked by hand from sacreBLEU's definition:
//   pₙ = 100 · Σ clipped matchesₙ / Σ hypothesis n-gramsₙ,  BP = exp(1 − r/c) if c < r else 1,
//   BLEU = BP · exp(¼ Σ log pₙ) = BP · 100 · (Π matchesₙ/totalₙ)^¼.
describe('corpusBleu, worked by hand', () => {
  it('a perfect match scores 100', () => {
    // 6 tokens: matches/totals 6/6, 5/5, 4/4, 3/3 → every pₙ = 100; c = r = 6 → BP = 1.
    const s = corpusBleu(['the cat sat on the mat'], [['the cat sat on the mat']]);
    close(s.score, 100, 1e-9, 'score');
    assert.deepEqual(s.counts, [6, 5, 4, 3]);
    assert.deepEqual(s.totals, [6, 5, 4, 3]);
    assert.equal(s.bp, 1);
    assert.equal(s.signature, SIG('nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp'));
    assert.equal(
      formatBleu(s),
      'BLEU = 100.00 100.0/100.0/100.0/100.0 (BP = 1.000 ratio = 1.000 hyp_len = 6 ref_len = 6)',
    );
  });

  it('no 4-gram match: exp smoothing gives the first zero order 1/2 of a match', () => {
    // hyp "the cat is on the mat", ref "the cat sat on the mat" (ref has 'the' twice)
    //   1-grams: the, cat, on, the, mat match; 'is' does not     → 5/6
    //   2-grams: the cat, on the, the mat                         → 3/5
    //   3-grams: on the mat                                       → 1/4
    //   4-grams: none                                             → 0/3
    // exp: first zero order, k = 1 → p₄ = 100 / (2¹ · 3) = 16.67
    // BLEU = 100 · (5/6 · 3/5 · 1/4 · 1/6)^¼ = 100 · (1/48)^¼ = 37.9918 (BP = 1, c = r = 6)
    const hyp = ['the cat is on the mat'];
    const ref = [['the cat sat on the mat']];
    const s = corpusBleu(hyp, ref);
    assert.deepEqual(s.counts, [5, 3, 1, 0]);
    assert.deepEqual(s.totals, [6, 5, 4, 3]);
    closeAll(s.precisions, [500 / 6, 60, 25, 100 / 6], 1e-12, 'precisions');
    close(s.score, 100 * (1 / 48) ** 0.25, 1e-9, 'score');
    assert.equal(
      formatBleu(s),
      'BLEU = 37.99 83.3/60.0/25.0/16.7 (BP = 1.000 ratio = 1.000 hyp_len = 6 ref_len = 6)',
    );

    // Without smoothing log 0 makes the score 0; floor uses p₄ = 100 · 0.1 / 3 = 3.33,
    // BLEU = 100 · (5/6 · 3/5 · 1/4 · 0.1/3)^¼ = 100 · (1/240)^¼ = 25.4066.
    assert.equal(corpusBleu(hyp, ref, { smooth: 'none' }).score, 0);
    const floor = corpusBleu(hyp, ref, { smooth: 'floor' });
    close(floor.score, 100 * (1 / 240) ** 0.25, 1e-9, 'floor score');
    assert.equal(floor.signature, SIG('nrefs:1|case:mixed|eff:no|tok:13a|smooth:floor[0.10]'));
    // add-k (k = 1) adds 1 to matches and totals of orders 2–4: 5/6, 4/6, 2/5, 1/4 →
    // BLEU = 100 · (5/6 · 4/6 · 2/5 · 1/4)^¼ = 100 · (1/18)^¼ = 48.5492.
    const addK = corpusBleu(hyp, ref, { smooth: 'add-k' });
    assert.deepEqual(addK.counts, [5, 4, 2, 1]);
    assert.deepEqual(addK.totals, [6, 6, 5, 4]);
    close(addK.score, 100 * (1 / 18) ** 0.25, 1e-9, 'add-k score');
    assert.equal(addK.signature, SIG('nrefs:1|case:mixed|eff:no|tok:13a|smooth:add-k[1.00]'));
  });

  it('a hypothesis shorter than its reference pays the brevity penalty', () => {
    // hyp "the cat sat on the" (c = 5) is a prefix of the 6-token ref: every n-gram matches
    // (5/5, 4/4, 3/3, 2/2), so BLEU = BP = exp(1 − 6/5) = exp(−0.2) = 0.81873 → 81.873.
    const s = corpusBleu(['the cat sat on the'], [['the cat sat on the mat']]);
    close(s.bp, Math.exp(-0.2), 1e-15, 'bp');
    close(s.score, 100 * Math.exp(-0.2), 1e-9, 'score');
    close(s.ratio, 5 / 6, 1e-15, 'ratio');
    assert.equal(
      formatBleu(s),
      'BLEU = 81.87 100.0/100.0/100.0/100.0 (BP = 0.819 ratio = 0.833 hyp_len = 5 ref_len = 6)',
    );
  });

  it('a hypothesis with no 4-grams scores 0 unless effectiveOrder is on', () => {
    // hyp "the cat sat": 3/3, 2/2, 1/1 and no 4-gram at all (total₄ = 0): the loop stops, p₄ stays
    // 0 and log 0 zeroes the score. With effectiveOrder the mean runs over n = 1..3 only:
    // BLEU = BP = exp(1 − 6/3) = e⁻¹ = 36.788.
    const hyp = ['the cat sat'];
    const ref = [['the cat sat on the mat']];
    assert.equal(corpusBleu(hyp, ref).score, 0);
    const eff = corpusBleu(hyp, ref, { effectiveOrder: true });
    close(eff.score, 100 * Math.exp(-1), 1e-9, 'score');
    assert.match(eff.signature, /\|eff:yes\|/);
  });

  it('an empty hypothesis scores 0 with BP 0', () => {
    // c = 0 → BP = 0 (sacreBLEU's guard against dividing by c); no matches → score 0.
    const s = corpusBleu([''], [['the cat']]);
    assert.equal(s.score, 0);
    assert.equal(s.bp, 0);
    assert.equal(s.sysLen, 0);
    assert.equal(s.refLen, 2);
    assert.equal(s.ratio, 0);
  });

  it('two references: the closest length (ties → shorter) and clipping by the max count', () => {
    // Segment 1: hyp "the the the cat" (4); refs "the cat" (2) and "the the dog sat here" (5).
    //   closest: |4−2| = 2, |4−5| = 1 → r = 5.
    //   clip counts are maxima over refs: the → max(1, 2) = 2, cat → 1, "the the" → 1, "the cat" → 1.
    //   1-grams: min(3, 2) + min(1, 1) = 3 of 4; 2-grams: "the the"×2 → 1, "the cat" → 1: 2 of 3;
    //   3-grams 0 of 2; 4-grams 0 of 1.
    // Segment 2: hyp "a b c d e f" (6); refs "a b c d e" (5) and "a b c d e f g" (7).
    //   |6−5| = |6−7| = 1: a tie, so the shorter, r = 5. All n-grams occur in ref 2: 6/6, 5/5, 4/4, 3/3.
    // Corpus: matches [9, 7, 4, 3], totals [10, 8, 6, 4], c = 10, r = 5 + 5 = 10 → BP = 1.
    // BLEU = 100 · (0.9 · 0.875 · 2/3 · 0.75)^¼ = 100 · 0.39375^¼ = 79.2146.
    const s = corpusBleu(
      ['the the the cat', 'a b c d e f'],
      [
        ['the cat', 'a b c d e'],
        ['the the dog sat here', 'a b c d e f g'],
      ],
    );
    assert.deepEqual(s.counts, [9, 7, 4, 3]);
    assert.deepEqual(s.totals, [10, 8, 6, 4]);
    assert.equal(s.sysLen, 10);
    assert.equal(s.refLen, 10);
    close(s.score, 100 * 0.39375 ** 0.25, 1e-9, 'score');
    assert.equal(s.signature, SIG('nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp'));
  });

  it('lowercase makes matching case-insensitive', () => {
    // Mixed case: no token of "The Cat Sat On The Mat" equals one of "the cat sat on the mat"
    // → no matches at all → 0. Lowercased, the two are identical → 100.
    const hyp = ['The Cat Sat On The Mat'];
    const ref = [['the cat sat on the mat']];
    assert.equal(corpusBleu(hyp, ref).score, 0);
    const lc = corpusBleu(hyp, ref, { lowercase: true });
    close(lc.score, 100, 1e-9, 'score');
    assert.equal(lc.signature, SIG('nrefs:1|case:lc|eff:no|tok:13a|smooth:exp'));
  });

  it("tokenize 'none' splits on whitespace only", () => {
    // 13a splits "mat." into "mat ." so hyp and ref agree → 100.
    // 'none': hyp tokens the cat sat on the mat. (6), ref the cat sat on the mat . (7):
    //   'mat.' matches nothing → 5/6, 4/5, 3/4, 2/3; BP = exp(1 − 7/6);
    //   BLEU = 100 · exp(−1/6) · (5/6 · 4/5 · 3/4 · 2/3)^¼ = 100 · exp(−1/6) · (1/3)^¼ = 64.3187.
    const hyp = ['the cat sat on the mat.'];
    const ref = [['the cat sat on the mat .']];
    close(corpusBleu(hyp, ref).score, 100, 1e-9, '13a score');
    const none = corpusBleu(hyp, ref, { tokenize: 'none' });
    assert.deepEqual(none.counts, [5, 4, 3, 2]);
    assert.deepEqual(none.totals, [6, 5, 4, 3]);
    close(none.score, 100 * Math.exp(-1 / 6) * (1 / 3) ** 0.25, 1e-9, 'score');
    assert.equal(none.signature, SIG('nrefs:1|case:mixed|eff:no|tok:none|smooth:exp'));
  });

  it('rejects misaligned streams and unknown options with one-line errors', () => {
    assert.throws(() => corpusBleu(['a', 'b'], [['a']]), {
      name: 'HeedError',
      message: 'bleu: reference stream 1 has 1 segments but there are 2 hypotheses',
    });
    assert.throws(() => corpusBleu([], [[]]), HeedError);
    assert.throws(() => corpusBleu(['a'], []), HeedError);
    assert.throws(() => corpusBleu(['a'], [['a']], { maxNgramOrder: 0 }), HeedError);
    // Inherited property names are not smoothing methods.
    assert.throws(() => corpusBleu(['a'], [['a']], JSON.parse('{"smooth": "constructor"}')), {
      message: "bleu: unknown smoothing 'constructor'; choose one of exp, floor, add-k, none",
    });
  });
});

// Figures from sacreBLEU's own test suite (mjpost/sacrebleu).
describe('corpusBleu reproduces sacreBLEU test-suite figures', () => {
  // test/test_bleu.py: the README example, two reference streams.
  const refs = [
    ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'],
    ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'],
  ];
  const hyps = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];

  it('test_corpus_bleu: default settings, tokenize none, smooth none, empty hypotheses', () => {
    close(corpusBleu(hyps, refs).score, 48.530827, 1e-6, 'default');
    close(corpusBleu(hyps, refs, { tokenize: '13a' }).score, 48.530827, 1e-6, '13a');
    close(corpusBleu(hyps, refs, { tokenize: 'none' }).score, 49.1919566, 1e-6, 'none');
    close(corpusBleu(hyps, refs, { smooth: 'none' }).score, 48.530827, 1e-6, 'smooth none');
    assert.equal(corpusBleu(['', '', ''], refs).score, 0);
  });

  it('test_max_ngram_order: orders 1 to 6', () => {
    const expected = ['77.65', '60.50', '53.93', '48.53', '46.14', '43.28'];
    expected.forEach((e, i) => {
      const s = corpusBleu(hyps, refs, { maxNgramOrder: i + 1 });
      assert.equal(s.score.toFixed(2), e, `order ${i + 1}`);
    });
  });

  // raw_corpus_bleu(hyps, refs, v) = tokenize 'none', smooth 'floor' with value v, effective order.
  const raw = { tokenize: 'none', smooth: 'floor', effectiveOrder: true } as const;

  it('test_raw_bleu and test_effective_order (figures are BLEU / 100)', () => {
    const r = (h: string[], rf: string[][]): number =>
      corpusBleu(h, rf, { ...raw, smoothValue: 0.01 }).score / 100;
    close(r(['this is a test', 'another test'], [['ref1', 'ref2']]), 0, 1e-8, 'no match (#141)');
    close(r(['this is a test'], [['this is a test']]), 1, 1e-8, 'identical');
    close(r(['this is a fest'], [['this is a test']]), 0.223606797749979, 1e-8, 'fest');
    close(r(['test'], [['a test']]), 0.3678794411714425, 1e-8, 'test');
    close(r(['a test'], [['a test']]), 1, 1e-8, 'a test');
    close(r(['a little test'], [['a test']]), 0.03218297948685433, 1e-8, 'a little test');
  });

  it('test_statistics and test_offset', () => {
    const hyp = ['am I am a character sequence'];
    const ref = [['I am a symbol string sequence a a']];
    const s = corpusBleu(hyp, ref, { ...raw, smoothValue: 0.01 });
    assert.deepEqual(s.counts, [4, 2, 1, 0]);
    assert.deepEqual(s.totals, [6, 5, 4, 3]);
    close(corpusBleu(hyp, ref, { ...raw, smoothValue: 0 }).score / 100, 0, 1e-8, 'floor 0');
    // No smoothValue: floor's default 0.1.
    close(corpusBleu(hyp, ref, raw).score / 100, 0.1555722182, 1e-8, 'floor default');
  });

  it('test_scoring and test_degenerate_statistics (BLEU from statistics)', () => {
    // compute_bleu's own default smoothing is 'none'.
    const s = bleuFromStatistics(
      { correct: [9, 7, 5, 3], total: [10, 8, 6, 4], sysLen: 11, refLen: 11 },
      { smooth: 'none' },
    );
    close(s.score / 100, 0.8375922397, 1e-8, 'scoring');
    const degenerate: [number[], number[], number, number, number][] = [
      [[0, 0, 0, 0], [4, 4, 2, 1], 0, 1, 0.0],
      [[0, 0, 0, 0], [10, 11, 12, 0], 14, 10, 0.0],
      [[0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 0.0],
      [[6, 5, 4, 0], [6, 5, 4, 3], 6, 6, 0.0],
      [[0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 0.1],
      [[0, 0, 0, 0], [0, 0, 0, 0], 1, 5, 0.01],
    ];
    for (const [correct, total, sysLen, refLen, value] of degenerate) {
      const d = bleuFromStatistics(
        { correct, total, sysLen, refLen },
        { smooth: 'floor', smoothValue: value },
      );
      assert.equal(d.score, 0, `degenerate ${JSON.stringify([correct, total, sysLen, refLen, value])}`);
    }
  });
});

// test/test_sentence_bleu.py (example from sacreBLEU issue #98), tolerance 1e-3 as there.
describe('sentenceBleu reproduces sacreBLEU test_sentence_bleu.py', () => {
  const REF = 'producţia de zahăr brut se exprimă în zahăr alb;';
  const SYS = 'Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;';
  const cases: [
    'exp' | 'none' | 'floor' | 'add-k',
    number | undefined,
    boolean,
    '13a' | 'none' | 'char',
    number,
  ][] = [
    ['exp', undefined, false, '13a', 8.493],
    ['none', undefined, false, '13a', 0.0],
    ['floor', undefined, false, '13a', 4.51688],
    ['floor', 0.1, false, '13a', 4.51688],
    ['floor', 0.5, false, '13a', 10.1],
    ['add-k', undefined, false, '13a', 14.882],
    ['add-k', 1, false, '13a', 14.882],
    ['add-k', 2, false, '13a', 21.389],
    ['exp', undefined, false, 'none', 7.347],
    ['exp', undefined, false, 'char', 40.8759],
    ['exp', undefined, true, 'char', 42.0267],
  ];
  for (const [smooth, smoothValue, lowercase, tokenize, expected] of cases) {
    it(`${smooth}${smoothValue === undefined ? '' : `[${smoothValue}]`} tok:${tokenize}${lowercase ? ' lc' : ''} → ${expected}`, () => {
      const opts =
        smoothValue === undefined
          ? { smooth, lowercase, tokenize }
          : { smooth, smoothValue, lowercase, tokenize };
      close(sentenceBleu(SYS, [REF], opts).score, expected, 1e-3, 'score');
    });
  }

  it('a sentence with no matching n-gram scores 0 under every smoothing (issue #141)', () => {
    for (const smooth of ['exp', 'none', 'floor', 'add-k'] as const) {
      assert.equal(sentenceBleu('this is a cat', ['okay thanks'], { smooth }).score, 0, smooth);
    }
  });
});
