import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { HeedError } from '../util/errors.js';
import { writeFileAtomic } from './atomic.js';

const dir = mkdtempSync(join(tmpdir(), 'heed-atomic-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('writes and replaces a file, leaving no temporary file behind', () => {
    const path = join(dir, 'a.json');
    writeFileAtomic(path, '{"v": 1}');
    assert.equal(readFileSync(path, 'utf8'), '{"v": 1}');
    writeFileAtomic(path, Uint8Array.of(1, 2, 3));
    assert.deepEqual(new Uint8Array(readFileSync(path)), Uint8Array.of(1, 2, 3));
    assert.deepEqual(readdirSync(dir), ['a.json']);
  });

  it('a failed write is a one-line HeedError naming the path', () => {
    const path = join(dir, 'missing-dir', 'b.json');
    assert.throws(
      () => writeFileAtomic(path, 'x'),
      (e: Error) =>
        e instanceof HeedError && e.message.startsWith(`cannot write ${path}: `) && !e.message.includes('\n'),
    );
    assert.deepEqual(readdirSync(dir), ['a.json']);
  });
});
