import { noGrad } from '../autograd/engine.js';
import type { BackendName, GemmParams } from '../backend/backend.js';
import { nativeInfo } from '../backend/native/index.js';
import { availableBackends, backendFor, withBackend } from '../backend/registry.js';
import { randn } from '../ops/creation.js';
import { matmul } from '../ops/matmul.js';
import { Generator } from '../util/random.js';
import { estimatePeak, type Peak } from './peak.js';
import { timeIt, timePerCall } from './timing.js';

/** One measured case, as printed with --json. */
export interface MatmulRecord {
  backend: BackendName;
  shape: string;
  gflops: number;
  peakFraction: number;
  ms: number;
  /**
   * `matmul`: through the tensor API (a fresh output tensor per call, as user code gets);
   * `gemm`: the backend's GEMM into one reused output, i.e. the kernel's own throughput.
   */
  path: 'matmul' | 'gemm';
  usPerCall?: number;
  gemm: string;
  threads: number;
}

interface Case {
  shape: string;
  batch: number;
  m: number;
  k: number;
  n: number;
  /** js takes seconds on the largest: cap its repetitions. */
  heavy: boolean;
}

const cases: Case[] = [
  { shape: '128x128x128', batch: 1, m: 128, k: 128, n: 128, heavy: false },
  { shape: '256x256x256', batch: 1, m: 256, k: 256, n: 256, heavy: false },
  { shape: '512x512x512', batch: 1, m: 512, k: 512, n: 512, heavy: true },
  { shape: '1024x1024x1024', batch: 1, m: 1024, k: 1024, n: 1024, heavy: true },
  { shape: '32x256·256x1024', batch: 1, m: 32, k: 256, n: 1024, heavy: false },
  { shape: '256x(64x64·64x64)', batch: 256, m: 64, k: 64, n: 64, heavy: false },
];

/**
 * Matmul throughput of each backend, measured in one run so the ratios are fair, plus the cost of
 * one 16×16 matmul call through the tensor API (allocation and dispatch included).
 */
export function benchMatmul(backends: BackendName[], onRecord: (r: MatmulRecord) => void): Peak {
  const threads = availableBackends().includes('native') ? nativeInfo().threads : 1;
  const peak = estimatePeak(threads);
  const gen = new Generator(1);
  for (const backend of backends) {
    withBackend(backend, () => {
      const gemm = backend === 'native' ? nativeInfo().gemm : 'js';
      const thr = backend === 'native' ? threads : 1;
      for (const c of cases) {
        const a = randn(c.batch === 1 ? [c.m, c.k] : [c.batch, c.m, c.k], { generator: gen });
        const b = randn(c.batch === 1 ? [c.k, c.n] : [c.batch, c.k, c.n], { generator: gen });
        const heavyJs = backend === 'js' && c.heavy;
        const timing = { budgetMs: heavyJs ? 1 : 500, minRuns: heavyJs ? 1 : 3, warmup: heavyJs ? 0 : 1 };
        const flops = 2 * c.batch * c.m * c.k * c.n;
        const record = (path: MatmulRecord['path'], ms: number): void => {
          const gflops = flops / (ms * 1e6);
          onRecord({
            backend,
            shape: c.shape,
            gflops,
            peakFraction: gflops / peak.gflops,
            ms,
            path,
            gemm,
            threads: thr,
          });
        };
        record('matmul', noGrad(() => timeIt(() => matmul(a, b), timing)).medianMs);
        const out = new Float32Array(c.batch * c.m * c.n);
        const params: GemmParams = {
          batch: c.batch,
          m: c.m,
          n: c.n,
          k: c.k,
          transA: false,
          transB: false,
          alpha: 1,
          beta: 0,
          a: a.data,
          aOffset: 0,
          strideA: c.m * c.k,
          b: b.data,
          bOffset: 0,
          strideB: c.k * c.n,
          c: out,
          cOffset: 0,
          strideC: c.m * c.n,
        };
        const be = backendFor('float32');
        record('gemm', timeIt(() => be.gemm(params), timing).medianMs);
      }
      const a = randn([16, 16], { generator: gen });
      const b = randn([16, 16], { generator: gen });
      const us = noGrad(() => timePerCall(() => matmul(a, b), 20000));
      const gflops = (2 * 16 * 16 * 16) / (us * 1e3);
      onRecord({
        backend,
        shape: '16x16x16 call',
        gflops,
        peakFraction: gflops / peak.gflops,
        ms: us / 1000,
        usPerCall: us,
        path: 'matmul',
        gemm,
        threads: thr,
      });
    });
  }
  return peak;
}
