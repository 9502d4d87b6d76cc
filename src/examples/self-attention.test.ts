import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeEachBackend } from '../testing/backends.js';
import { formatSelfAttentionTable, selfAttentionExample } from './self-attention.js';

describeEachBackend('seed 003 worked self-attention example', () => {
  it('reproduces the printed scores to 4 decimals', () => {
    const ex = selfAttentionExample();
    const expected = [
      [0.4231, 0.2697, 0.3072],
      [0.1487, 0.6466, 0.2047],
      [0.2728, 0.4543, 0.2728],
    ];
    const got = ex.scores.toArray() as number[][];
    got.forEach((row, i) => {
      row.forEach((v, j) => {
        assert.equal(v.toFixed(4), expected[i][j].toFixed(4), `score[${i}][${j}]`);
      });
    });
    assert.deepEqual(ex.key.toArray(), [
      [0.8999999761581421, 0.10000000149011612, 0.10000000149011612],
      [0.20000000298023224, 1.7999999523162842, 0.20000000298023224],
      [0.5, 0.5, 0.10000000149011612],
    ]);
  });

  it('prints the table with the max-attention column as the seed does', () => {
    const table = formatSelfAttentionTable(selfAttentionExample());
    const lines = table.split('\n');
    assert.equal(lines.length, 5);
    assert.match(lines[2], /^\| the\s+\| the\s+\| 0\.4231\s+\| 0\.2697\s+\| 0\.3072\s+\|$/);
    assert.match(lines[3], /^\| next\s+\| next\s+\| 0\.1487\s+\| 0\.6466\s+\| 0\.2047\s+\|$/);
    assert.match(lines[4], /^\| is\s+\| next\s+\| 0\.2728\s+\| 0\.4543\s+\| 0\.2728\s+\|$/);
  });
});
