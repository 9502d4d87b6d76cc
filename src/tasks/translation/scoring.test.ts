import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { corpusBleu } from '../../metrics/bleu.js';
import { LENGTH_BUCKETS, lengthBucket } from './data.js';
import { corpusScores, groupTable } from './scoring.js';

describe('translation scoring', () => {
  it('buckets sources by word count as Bahdanau et al. Fig. 2', () => {
    const cases: [number, string][] = [
      [1, '1-10'],
      [10, '1-10'],
      [11, '11-20'],
      [20, '11-20'],
      [21, '21-30'],
      [40, '31-40'],
      [41, '41-50'],
      [50, '41-50'],
      [51, '>50'],
      [300, '>50'],
    ];
    for (const [words, bucket] of cases) assert.equal(lengthBucket(words), bucket, `${words} words`);
    assert.deepEqual([...LENGTH_BUCKETS], ['1-10', '11-20', '21-30', '31-40', '41-50', '>50']);
  });

  it('scores a corpus with sacreBLEU BLEU and chrF plus exact match', () => {
    const refs = ['the cat sat on the mat', 'a dog barked', 'hello world'];
    const hyps = ['the cat sat on the mat', 'a dog barks', 'Hello world'];
    const s = corpusScores(hyps, refs);
    assert.equal(s.bleu, corpusBleu(hyps, [refs]).score);
    assert.equal(s.exact_match, 100 / 3);
    assert.equal(s.count, 3);
    assert.equal(
      corpusScores(hyps, refs, true).exact_match,
      200 / 3,
      'lowercase compares case-insensitively',
    );
    assert.deepEqual(corpusScores([], []), { bleu: 0, chrf: 0, exact_match: 0, count: 0 });
  });

  it('tabulates scores per group in the given order, unknown groups after, empty groups left out', () => {
    const groups = ['11-20', '1-10', '1-10', 'other', '11-20'];
    const refs = ['a b c d', 'x y', 'p q r', 'z', 'e f g h'];
    const hyps = ['a b c d', 'x y', 'p q s', 'z', 'e f g x'];
    const t = groupTable('BLEU by length', 'source words', groups, hyps, refs, LENGTH_BUCKETS);
    assert.equal(t.title, 'BLEU by length');
    assert.deepEqual(t.columns, ['source words', 'count', 'BLEU', 'chrF', 'exact %']);
    assert.deepEqual(
      t.rows.map((r) => [r[0], r[1], r[4]]),
      [
        ['1-10', 2, 50],
        ['11-20', 2, 50],
        ['other', 1, 100],
      ],
    );
    const firstBucket = corpusScores(['x y', 'p q s'], ['x y', 'p q r']);
    assert.equal(t.rows[0][2], Math.round(firstBucket.bleu * 100) / 100);
  });
});
