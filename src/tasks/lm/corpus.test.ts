import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { Generator } from '../../util/random.js';
import { tempDir } from '../classification/testing.js';
import { loadCorpus, randomWindows } from './corpus.js';

const dir = tempDir('heed-corpus-');
after(() => rmSync(dir, { recursive: true, force: true }));

describe('lm corpus', () => {
  it('holds out the last part of the text, as nanoGPT does, and reads .gz', () => {
    const path = join(dir, 'abc.txt.gz');
    writeFileSync(path, gzipSync('abcdefghij\n\nklmnopqrs\n'));
    const c = loadCorpus({ path, tokenizer: 'char', lowercase: false, split: { valid: 0.25 }, blockSize: 3 });
    assert.equal(c.vocab.size, 4 + 20, 'the four specials and every character');
    assert.equal(c.train.length + c.valid.length, 22, 'blank lines kept');
    assert.equal(c.vocab.decode(c.valid).join(''), 'pqrs\n', 'round(0.75 · 22) = 17 tokens train');
  });

  it('random windows: targets are the inputs shifted by one, inside the stream, seeded', () => {
    const ids = Int32Array.from({ length: 50 }, (_, i) => i);
    const w = randomWindows(ids, 6, 8, new Generator(3));
    assert.deepEqual(w.shape, [6, 8]);
    for (let r = 0; r < 6; r++) {
      const x = w.x.subarray(r * 8, (r + 1) * 8);
      const y = w.y.subarray(r * 8, (r + 1) * 8);
      assert.ok(x[0] >= 0 && y[7] <= 49);
      for (let t = 0; t < 8; t++) assert.equal(y[t], x[t] + 1);
    }
    assert.deepEqual(randomWindows(ids, 6, 8, new Generator(3)), w);
  });
});
