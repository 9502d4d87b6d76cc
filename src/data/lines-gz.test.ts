import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { readLines } from './lines.js';

describe('readLines on gzip files', () => {
  it('reads .gz files line by line, CRLF and a missing final newline included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'heed-gz-'));
    const path = join(dir, 'a.tsv.gz');
    writeFileSync(path, gzipSync(Buffer.from('one\ttwo\r\nthree\tfour\nfive')));
    assert.deepEqual(
      [...readLines(path)].map((l) => l.text),
      ['one\ttwo', 'three\tfour', 'five'],
    );
  });

  it('names the file when the data is not gzip', () => {
    const dir = mkdtempSync(join(tmpdir(), 'heed-gz-'));
    const path = join(dir, 'bad.gz');
    writeFileSync(path, 'plain text');
    assert.throws(() => [...readLines(path)], /cannot read .*bad\.gz: not valid gzip data/);
  });
});
