/**
 * The native GEMM must agree with the js reference: odd sizes (every SIMD tail and edge tile),
 * transposes, batch strides, alpha/beta and sizes large enough to run multi-threaded, for the
 * built-in kernel and, when compiled in, OpenBLAS. Helpers: native-testing.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GemmParams } from '../backend.js';
import { nativeInfo, setNativeGemm } from './index.js';
import {
  assertClose,
  checkGemm,
  forEachGemm,
  gemmKinds,
  js,
  loaded,
  native,
  ODD,
  randomArray,
  skip,
  TRANSPOSES,
} from './native-testing.js';

describe('native backend: gemm', { skip }, () => {
  it('loads the addon', () => {
    if (loaded instanceof Error) throw loaded;
    const info = nativeInfo();
    assert.ok(info.gemm === 'openblas' || info.gemm === 'builtin');
    assert.ok(Number.isInteger(info.threads) && info.threads >= 1);
    assert.ok(['avx512', 'avx2', 'scalar'].includes(info.simd), info.simd);
  });

  describe('gemm', () => {
    it('matches js on odd sizes with every transpose', () => {
      forEachGemm((label) => {
        for (const m of ODD) {
          for (const [transA, transB] of TRANSPOSES) {
            const n = ODD[(m * 7) % ODD.length];
            const k = ODD[(m * 3 + 2) % ODD.length];
            checkGemm({ m, n, k, transA, transB }, label);
            checkGemm({ m: n, n: k, k: m, transA, transB, alpha: 0.5, beta: -1.5 }, label);
          }
        }
      });
    });

    it('matches js across the blocking edges (k > KC, n > NC, m > MC) and when threaded', () => {
      forEachGemm((label) => {
        for (const [transA, transB] of TRANSPOSES) {
          checkGemm({ m: 129, n: 65, k: 400, transA, transB, beta: 1 }, label);
          checkGemm({ m: 33, n: 700, k: 17, transA, transB, alpha: 2 }, label);
          checkGemm({ m: 300, n: 257, k: 129, transA, transB, alpha: -1, beta: 0.25 }, label);
        }
        // Threaded, split by rows (C taller than wide) and by columns.
        checkGemm({ m: 1001, n: 97, k: 70, transA: true, transB: true, beta: 1 }, label);
        checkGemm({ m: 97, n: 1001, k: 70, transA: true, beta: 1 }, label);
        checkGemm({ m: 2100, n: 5, k: 3 }, label);
        checkGemm({ m: 5, n: 3, k: 2100, transB: true }, label);
      });
    });

    it('handles batches: strides, shared operands, offsets, parallel batches', () => {
      forEachGemm((label) => {
        checkGemm({ m: 17, n: 33, k: 65, batch: 3, offset: 5 }, label);
        checkGemm({ m: 17, n: 33, k: 65, batch: 3, strideA: 0, transA: true }, label);
        checkGemm({ m: 17, n: 33, k: 65, batch: 3, strideB: 0, transB: true, beta: 2 }, label);
        checkGemm({ m: 64, n: 64, k: 64, batch: 6, transB: true }, label);
        checkGemm({ m: 20, n: 20, k: 20, batch: 4, strideC: 500, beta: 1 }, label);
      });
    });

    it('products with a packed weight match js (odd sizes, both layouts, k > KC, threaded)', () => {
      for (const [rows, n, k] of [
        [1, 1, 1],
        [5, 13, 17],
        [32, 15, 7],
        [33, 768, 256],
        [32, 256, 768],
        [70, 29, 400],
      ]) {
        for (const trans of [false, true]) {
          for (const beta of [0, 1, 0.5]) {
            const w = randomArray(n * k);
            const x = randomArray(rows * k);
            const y = randomArray(rows * n);
            const packedJs = new Float32Array(js.packedWeightSize(n, k));
            const packed = new Float32Array(native().packedWeightSize(n, k));
            js.packWeight(w, n, k, trans, packedJs);
            native().packWeight(w, n, k, trans, packed);
            const expected = y.slice();
            const actual = y.slice();
            js.gemmPackedWeight(x, rows, packedJs, n, k, expected, beta);
            native().gemmPackedWeight(x, rows, packed, n, k, actual, beta);
            assertClose(
              actual,
              expected,
              `rows ${rows}, n ${n}, k ${k}, trans ${trans}, beta ${beta}`,
              1e-4,
              1e-4,
            );
          }
        }
      }
      // beta 0 overwrites (a NaN in y does not survive); k = 0 gives beta·y.
      const y = new Float32Array([Number.NaN, 1, 2, 3]);
      const packed = new Float32Array(native().packedWeightSize(2, 3));
      native().packWeight(new Float32Array(6).fill(1), 2, 3, false, packed);
      native().gemmPackedWeight(new Float32Array(6).fill(1), 2, packed, 2, 3, y, 0);
      assert.deepEqual(Array.from(y), [3, 3, 3, 3]);
      native().gemmPackedWeight(new Float32Array(0), 2, packed, 2, 0, y, 0.5);
      assert.deepEqual(Array.from(y), [1.5, 1.5, 1.5, 1.5]);
    });

    it('accumulates in order when strideC = 0', () => {
      forEachGemm((label) => {
        checkGemm({ m: 17, n: 33, k: 9, batch: 5, strideC: 0, beta: 1 }, label);
        checkGemm({ m: 129, n: 65, k: 33, batch: 4, strideC: 0, beta: 1, transA: true }, label);
        checkGemm({ m: 3, n: 3, k: 3, batch: 3, strideC: 0, beta: 0.5, alpha: 2 }, label);
      });
    });

    it('treats beta = 0 as overwrite and k = 0 as C = beta·C', () => {
      forEachGemm((label) => {
        for (const [m, n, k] of [
          [4, 4, 4],
          [129, 65, 33],
        ]) {
          const c = new Float32Array(m * n).fill(Number.NaN);
          const p: GemmParams = {
            ...{ batch: 1, m, n, k, transA: false, transB: false, alpha: 1, beta: 0 },
            ...{ a: randomArray(m * k), aOffset: 0, strideA: 0, b: randomArray(k * n) },
            ...{ bOffset: 0, strideB: 0, c, cOffset: 0, strideC: 0 },
          };
          native().gemm(p);
          assert.ok(c.every(Number.isFinite), `${label}: NaN in C survived beta = 0`);
        }
        checkGemm({ m: 5, n: 7, k: 0, beta: 3 }, label);
        checkGemm({ m: 5, n: 7, k: 0, beta: 0 }, label);
        checkGemm({ m: 0, n: 7, k: 3 }, label);
      });
    });

    it('runs tiny products on the built-in kernel even with OpenBLAS selected', () => {
      // gemm.c routes m·n·k ≤ 32³ with n ≥ 16 to the unpacked kernel whichever GEMM is selected:
      // those results are bitwise the built-in ones (OpenBLAS rounds transposed-B products
      // differently), and like every shape they agree with js. Shapes straddle both limits.
      const shapes: [number, number, number][] = [
        [16, 16, 16],
        [1, 16, 1],
        [7, 16, 33],
        [3, 17, 5],
        [32, 32, 32],
        [5, 100, 60],
        [2, 15, 9], // too narrow: OpenBLAS
        [32, 32, 33], // too big: OpenBLAS
      ];
      const before = nativeInfo();
      try {
        for (const [m, n, k] of shapes) {
          const tiny = m * n * k <= 32 ** 3 && n >= 16;
          for (const [transA, transB] of TRANSPOSES) {
            for (const beta of [0, 0.5]) {
              const c0 = randomArray(2 * m * n);
              const p: GemmParams = {
                ...{ batch: 2, m, n, k, transA, transB, alpha: 1.5, beta },
                ...{ a: randomArray(2 * m * k), aOffset: 0, strideA: m * k },
                ...{ b: randomArray(k * n), bOffset: 0, strideB: 0 },
                ...{ c: c0, cOffset: 0, strideC: m * n },
              };
              const run = (kind: 'builtin' | 'openblas'): Float32Array => {
                setNativeGemm(kind);
                const c = c0.slice();
                native().gemm({ ...p, c });
                return c;
              };
              const label = `${m}x${n}x${k} transA=${transA} transB=${transB} beta=${beta}`;
              if (tiny && before.openblas) {
                assert.deepEqual(run('openblas'), run('builtin'), `${label}: not the built-in kernel`);
              }
              for (const kind of gemmKinds()) {
                setNativeGemm(kind);
                checkGemm({ m, n, k, transA, transB, alpha: 1.5, beta, batch: 2, strideB: 0 }, label);
              }
            }
          }
        }
      } finally {
        setNativeGemm(before.gemm);
      }
    });
  });
});
