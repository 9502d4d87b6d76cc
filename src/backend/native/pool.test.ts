/**
 * The native thread pool (native/pool.c), checked on its own: native/test/pool_check.c runs
 * thousands of jobs of 1 to 4,095 uneven tasks on 1 to 4 threads, back to back (workers awake),
 * after pauses longer than the spin (workers asleep), nested inside tasks, and from two threads
 * at once, and fails unless every task ran exactly once on a slot of its own. It is compiled here
 * with the same C compiler the addon is built with, with the spin left at its default and at
 * zero (every job then wakes sleeping workers). Then the addon itself, from two JS worker threads
 * at once: one of them gets the pool, the other runs its kernels on its own thread, and both
 * must get the products a single thread computes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { native, randomArray, skip } from './native-testing.js';

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

  it('gives every JS thread correct results when two use the addon at once', async () => {
    const [m, n, k] = [300, 257, 129]; // threaded: m·n·k is above the GEMM split threshold
    const problems = Array.from({ length: 6 }, () => ({ a: randomArray(m * k), b: randomArray(k * n) }));
    const gemm = (a: Float32Array, b: Float32Array, c: Float32Array): void =>
      native().gemm({
        batch: 1,
        m,
        n,
        k,
        transA: false,
        transB: false,
        alpha: 1,
        beta: 0,
        a,
        aOffset: 0,
        strideA: 0,
        b,
        bOffset: 0,
        strideB: 0,
        c,
        cOffset: 0,
        strideC: 0,
      });
    const expected = problems.map(({ a, b }) => {
      const c = new Float32Array(m * n);
      gemm(a, b, c);
      return c;
    });
    const index = pathToFileURL(join(root, 'dist/backend/native/index.js')).href;
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      import(${JSON.stringify(index)}).then(({ createNativeBackend }) =>
        import(${JSON.stringify(pathToFileURL(join(root, 'dist/backend/native/addon.js')).href)}).then(({ loadAddon }) => {
          const be = createNativeBackend(loadAddon());
          const { m, n, k, problems, expected } = workerData;
          let worst = 0;
          for (let round = 0; round < 40; round++) {
            problems.forEach(({ a, b }, i) => {
              const c = new Float32Array(m * n);
              be.gemm({ batch: 1, m, n, k, transA: false, transB: false, alpha: 1, beta: 0, a, aOffset: 0,
                strideA: 0, b, bOffset: 0, strideB: 0, c, cOffset: 0, strideC: 0 });
              for (let j = 0; j < c.length; j++) worst = Math.max(worst, Math.abs(c[j] - expected[i][j]));
            });
          }
          parentPort.postMessage(worst);
        }));`;
    const run = (): Promise<number> =>
      new Promise((done, fail) => {
        const w = new Worker(source, { eval: true, workerData: { m, n, k, problems, expected } });
        w.once('message', (worst: number) => done(worst));
        w.once('error', fail);
      });
    const worst = await Promise.all([run(), run()]);
    for (const d of worst) assert.ok(d <= 1e-4, `largest difference from the single-thread product: ${d}`);
  });
});
