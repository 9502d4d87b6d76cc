import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { HeedError } from '../util/errors.js';
import { Vocab } from './vocab.js';

const sentences = [
  ['the', 'cat', 'sat'],
  ['the', 'dog', 'sat'],
  ['a', 'cat', 'ran'],
  ['the', 'end'],
];
// counts: the 3, cat 2, sat 2, a 1, dog 1, end 1, ran 1

/** A one-line HeedError whose message matches `pattern`. */
function heedError(pattern: RegExp): (e: unknown) => boolean {
  return (e) => e instanceof HeedError && !e.message.includes('\n') && pattern.test(e.message);
}

describe('Vocab', () => {
  it('puts pad, bos, eos, unk at ids 0..3, then tokens by frequency, ties by token', () => {
    const v = Vocab.build(sentences);
    assert.deepEqual(v.tokens, [
      '<pad>',
      '<bos>',
      '<eos>',
      '<unk>',
      'the',
      'cat',
      'sat',
      'a',
      'dog',
      'end',
      'ran',
    ]);
    assert.equal(v.size, 11);
    assert.deepEqual([v.padId, v.bosId, v.eosId, v.unkId], [0, 1, 2, 3]);
  });

  it('gives the same ids whatever the order of the data', () => {
    const reversed = [...sentences].reverse().map((s) => [...s].reverse());
    assert.deepEqual(Vocab.build(reversed).tokens, Vocab.build(sentences).tokens);
  });

  it('minFreq leaves out rare tokens; maxSize counts the specials', () => {
    assert.deepEqual(Vocab.build(sentences, { minFreq: 2 }).tokens.slice(4), ['the', 'cat', 'sat']);
    const capped = Vocab.build(sentences, { maxSize: 6 });
    assert.equal(capped.size, 6);
    assert.deepEqual(capped.tokens.slice(4), ['the', 'cat']);
    assert.equal(Vocab.build(sentences, { maxSize: 4 }).size, 4);
    assert.throws(() => Vocab.build(sentences, { maxSize: 3 }), heedError(/maxSize must be an integer >= 4/));
    assert.throws(() => Vocab.build(sentences, { minFreq: 0 }), heedError(/minFreq/));
  });

  it('takes custom special strings and does not count them as tokens', () => {
    const v = Vocab.build([['[BOS]', 'x', 'x', '[EOS]']], { specials: { bos: '[BOS]', eos: '[EOS]' } });
    assert.deepEqual(v.tokens, ['<pad>', '[BOS]', '[EOS]', '<unk>', 'x']);
    assert.equal(v.specials.bos, '[BOS]');
    assert.throws(
      () => Vocab.build([], { specials: { pad: 'x', unk: 'x' } }),
      heedError(/"x" is used twice/),
    );
  });

  it('encodes with bos/eos and maps unknown tokens to unk', () => {
    const v = Vocab.build(sentences);
    assert.deepEqual(v.encode(['the', 'cat']), [4, 5]);
    assert.deepEqual(v.encode(['the', 'zebra'], { addBos: true, addEos: true }), [1, 4, 3, 2]);
    assert.equal(v.idOf('zebra'), v.unkId);
  });

  it("unknown: 'error' names the token and its position", () => {
    const v = Vocab.build(sentences);
    assert.throws(
      () => v.encode(['the', 'cat', 'zebra'], { unknown: 'error' }),
      (e: unknown) =>
        e instanceof HeedError && e.message === 'Vocab.encode: unknown token "zebra" at position 2',
    );
  });

  it('decodes back to the tokens, optionally without specials or past eos', () => {
    const v = Vocab.build(sentences);
    const ids = v.encode(['a', 'dog', 'ran'], { addBos: true, addEos: true });
    assert.deepEqual(v.decode(ids), ['<bos>', 'a', 'dog', 'ran', '<eos>']);
    assert.deepEqual(v.decode([...ids, 0, 0], { stripSpecial: true }), ['a', 'dog', 'ran']);
    assert.deepEqual(v.decode([1, 7, 3, 2, 8, 8], { cutAtEos: true, stripSpecial: true }), ['a', '<unk>']);
    assert.deepEqual(v.decode(Int32Array.from([4, 5])), ['the', 'cat']);
    assert.throws(() => v.decode([4, 99]), heedError(/id 99 at position 1 is out of range \[0, 11\)/));
  });

  it('round-trips through JSON', () => {
    const v = Vocab.build(sentences, { specials: { unk: '<UNK>' } });
    const back = Vocab.fromJSON(JSON.parse(JSON.stringify(v)));
    assert.deepEqual(back.tokens, v.tokens);
    assert.deepEqual(back.specials, v.specials);
    assert.deepEqual(back.encode(['the', '??']), v.encode(['the', '??']));
  });

  it('rejects a malformed vocabulary with a one-line message naming the field', () => {
    const good = Vocab.build(sentences).toJSON();
    const cases: [unknown, RegExp][] = [
      [[1, 2], /the vocabulary must be an object, got an array/],
      [{ ...good, tokens: undefined }, /tokens must be an array/],
      [{ kind: 'vocab', version: 1, specials: good.specials }, /has no "tokens" field/],
      [{ ...good, version: 2 }, /version 2 is not supported/],
      [{ ...good, extra: 1 }, /unknown field "extra"/],
      [
        { ...good, tokens: ['<pad>', '<bos>', '<eos>', '<unk>', 'a', 7] },
        /tokens\[5\] must be a non-empty string, got 7/,
      ],
      [{ ...good, tokens: ['<bos>', '<pad>', '<eos>', '<unk>'] }, /token 0 must be the special "<pad>"/],
      [{ ...good, tokens: [...good.tokens, 'the'] }, /token "the" appears twice/],
      [{ ...good, specials: { ...good.specials, unk: '' } }, /specials.unk must be a non-empty string/],
    ];
    for (const [json, pattern] of cases) {
      assert.throws(
        () => Vocab.fromJSON(json, 'data/vocab.json'),
        heedError(new RegExp(`^data/vocab.json: .*${pattern.source}`)),
      );
    }
  });

  it('saves and loads a file; a missing or broken file is a one-line error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'heed-vocab-'));
    const path = join(dir, 'vocab.json');
    const v = Vocab.build(sentences);
    v.save(path);
    assert.deepEqual(Vocab.load(path).tokens, v.tokens);
    assert.throws(
      () => Vocab.load(join(dir, 'nope.json')),
      heedError(/^cannot read vocabulary .*nope.json: no such file$/),
    );
    writeFileSync(path, '{"kind": "vocab",');
    assert.throws(() => Vocab.load(path), heedError(/vocab.json: not valid JSON/));
  });
});
