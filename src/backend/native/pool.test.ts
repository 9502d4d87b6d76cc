/**
 * The native thread pool (native/pool.c), checked on its own: native/test/pool_check.c runs
 * thousands of jobs of 1 to 4,095 uneven tasks on 1 to 4 threads, back to back (workers awake),
 * after pauses longer than the spin (workers asleep), nested inside tasks, and from two threads
 * at once, and fails unless every task ran exactly once on a slot of its own. It is compiled here
 * with the same C compiler the addon is built with, with the spin left at its default and at
 * zero (every job then wakes sleeping workers).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { skip } from './native-testing.js';

const root = resolve(fileURLToPath(import.meta.url), '../../../..');
const dir = mkdtempSync(join(tmpdir(), 'heed-pool-'));
const exe = join(dir, 'pool_check');

describe('native backend: thread pool', { skip }, () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('builds the pool check', () => {
    const sources = ['native/pool.c', 'native/test/pool_check.c'].map((f) => join(root, f));
    const flags = ['-O2', '-std=c11', '-Wall', '-Wextra', '-Werror', '-pthread', '-DHEED_POOL_THREADS'];
    const r = spawnSync(process.env.CC || 'cc', [...flags, ...sources, '-o', exe], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.error?.message ?? r.stderr);
  });

  for (const spin of ['default', '0']) {
    it(`runs every task exactly once (spin ${spin} µs)`, () => {
      const env = { ...process.env };
      if (spin === 'default') delete env.HEED_POOL_SPIN_US;
      else env.HEED_POOL_SPIN_US = spin;
      const r = spawnSync(exe, { encoding: 'utf8', env, timeout: 120_000 });
      assert.equal(r.status, 0, r.error?.message ?? r.stderr);
      assert.match(r.stdout, /pool_check: ok/);
    });
  }
});
