/**
 * The native backend's elementwise, reduction, softmax, data-movement kernels and argument checks
 * must agree with the js reference backend: random data with odd sizes, every broadcasting
 * pattern, special values, sizes large enough to run multi-threaded. GEMM: native-gemm.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BinaryOp, UnaryOp } from '../backend.js';
import { nativeInfo, setNativeGemm, setNativeThreads } from './index.js';
import {
  addon,
  assertClose,
  compare,
  js,
  native,
  numel,
  rand,
  randomArray,
  SPECIALS,
  skip,
  withSpecials,
} from './native-testing.js';

describe('native backend: kernels', { skip }, () => {
  describe('elementwise', () => {
    const BINARY: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'];
    const PATTERNS: [number[], number[], number[]][] = [
      [
        [17, 33],
        [17, 33],
        [17, 33],
      ], // same shape
      [
        [1, 1],
        [17, 33],
        [17, 33],
      ], // scalar a
      [[129], [1], [129]], // scalar b
      [
        [17, 33],
        [1, 33],
        [17, 33],
      ], // row broadcast
      [
        [17, 1],
        [17, 33],
        [17, 33],
      ], // column broadcast
      [
        [3, 4, 5],
        [3, 1, 5],
        [3, 4, 5],
      ], // middle axis
      [
        [3, 1, 5],
        [1, 4, 1],
        [3, 4, 5],
      ], // both sides broadcast
      [
        [2, 1, 3, 1],
        [1, 65, 1, 7],
        [2, 65, 3, 7],
      ],
      [[], [], []], // rank 0
      [
        [0, 5],
        [1, 5],
        [0, 5],
      ], // empty
      [
        [300, 257],
        [1, 257],
        [300, 257],
      ], // large enough to thread
      [[1], [70000], [70000]],
    ];

    it('binary matches js for every op and broadcasting pattern', () => {
      for (const op of BINARY) {
        for (const [aShape, bShape, outShape] of PATTERNS) {
          const positive = op === 'pow';
          const a = positive ? randomArray(numel(aShape), 0.1, 3) : withSpecials(numel(aShape));
          const b = positive ? randomArray(numel(bShape), -3, 3) : withSpecials(numel(bShape));
          compare(`${op} ${aShape}|${bShape}`, new Float32Array(numel(outShape)), (be, out) =>
            be.binary(op, a, aShape, b, bShape, out, outShape),
          );
        }
      }
    });

    it('pow follows Math.pow on special values', () => {
      const xs = [1, -1, 0, -0, 2, -2, 0.5, Number.NaN, Infinity, -Infinity, -8];
      const ys = [Number.NaN, Infinity, -Infinity, 0, -0, 0.5, 2, 3, -1, -3, 1 / 3];
      const a = new Float32Array(xs.length * ys.length);
      const b = new Float32Array(a.length);
      for (let i = 0; i < xs.length; i++) {
        for (let j = 0; j < ys.length; j++) {
          a[i * ys.length + j] = xs[i];
          b[i * ys.length + j] = ys[j];
        }
      }
      const shape = [a.length];
      compare('pow specials', new Float32Array(a.length), (be, out) =>
        be.binary('pow', a, shape, b, shape, out, shape),
      );
    });

    const UNARY: UnaryOp[] = [
      'neg',
      'exp',
      'log',
      'tanh',
      'sigmoid',
      'relu',
      'gelu',
      'sqrt',
      'abs',
      'square',
    ];

    it('unary matches js (including specials, in place, and threaded sizes)', () => {
      for (const op of UNARY) {
        for (const n of [1, 17, 129, 70001]) {
          const x = withSpecials(n, -12, 12);
          compare(`${op} n=${n}`, new Float32Array(n), (be, out) => be.unary(op, x, out));
          compare(`${op} in place n=${n}`, x, (be, out) => be.unary(op, out, out));
        }
      }
    });

    it('unaryBackward matches js', () => {
      for (const op of UNARY) {
        for (const n of [1, 33, 70001]) {
          const positive = op === 'log' || op === 'sqrt';
          const x = positive ? randomArray(n, 0.05, 9) : withSpecials(n, -9, 9);
          const y = new Float32Array(n);
          js.unary(op, x, y);
          const g = randomArray(n);
          compare(`d${op} n=${n}`, new Float32Array(n), (be, out) => be.unaryBackward(op, x, y, g, out));
        }
      }
    });

    it('where matches js with broadcast condition and branches', () => {
      for (const [cShape, aShape, bShape, outShape] of [
        [
          [17, 33],
          [17, 33],
          [17, 33],
          [17, 33],
        ],
        [
          [17, 1],
          [1, 33],
          [1, 1],
          [17, 33],
        ],
        [
          [3, 1, 5],
          [1, 4, 5],
          [3, 4, 1],
          [3, 4, 5],
        ],
        [[], [], [], []],
        [
          [300, 1],
          [300, 257],
          [1, 257],
          [300, 257],
        ],
      ]) {
        const cond = new Uint8Array(numel(cShape)).map(() => (rand() < 0.5 ? 1 : 0));
        const a = withSpecials(numel(aShape));
        const b = randomArray(numel(bShape));
        compare(`where ${cShape}`, new Float32Array(numel(outShape)), (be, out) =>
          be.where(cond, cShape, a, aShape, b, bShape, out, outShape),
        );
      }
    });

    it('fill writes every element', () => {
      for (const n of [1, 17, 100_001]) {
        for (const v of [3.5, Number.NaN, Number.NEGATIVE_INFINITY, 1e-40]) {
          compare(`fill ${v}`, randomArray(n), (be, out) => be.fill(out, v));
        }
      }
    });
  });

  describe('reductions and softmax', () => {
    const SHAPES = [
      [1, 1, 1],
      [3, 17, 1],
      [1, 129, 1],
      [5, 33, 3],
      [2, 65, 257],
      [1, 127, 300],
      [2, 0, 3],
      [300, 300, 1],
      [1, 300, 1000],
    ];

    it('reduce sum/max (with and without argmax) matches js', () => {
      for (const [outer, size, inner] of SHAPES) {
        const x = randomArray(outer * size * inner, -5, 5);
        // Some NaNs and ±Infinity in the larger inputs.
        for (let i = 11; i < x.length; i += 97) x[i] = SPECIALS[i % 3];
        const what = `[${outer},${size},${inner}]`;
        compare(`sum ${what}`, new Float32Array(outer * inner), (be, out) =>
          be.reduce('sum', x, outer, size, inner, out),
        );
        compare(`max ${what}`, new Float32Array(outer * inner), (be, out) =>
          be.reduce('max', x, outer, size, inner, out),
        );
        const am = [new Int32Array(outer * inner), new Int32Array(outer * inner)];
        const outs = [new Float32Array(outer * inner), new Float32Array(outer * inner)];
        js.reduce('max', x, outer, size, inner, outs[0], am[0]);
        native().reduce('max', x, outer, size, inner, outs[1], am[1]);
        assertClose(outs[1], outs[0], `max ${what}`);
        assert.deepEqual(am[1], am[0], `argmax ${what}`);
      }
    });

    /** Rows with NaN, partial -Infinity, all -Infinity and +Infinity among random ones. */
    function softmaxInput(rows: number, cols: number): Float32Array {
      const x = randomArray(rows * cols, -8, 8);
      const row = (r: number) => x.subarray(r * cols, (r + 1) * cols);
      if (rows > 1) row(1).fill(Number.NEGATIVE_INFINITY);
      if (rows > 2) row(2)[cols >> 1] = Number.NaN;
      if (rows > 3) for (let j = 0; j < cols; j += 2) row(3)[j] = Number.NEGATIVE_INFINITY;
      if (rows > 4) row(4)[0] = Number.POSITIVE_INFINITY;
      if (rows > 5) row(5).fill(Number.NEGATIVE_INFINITY)[cols - 1] = Number.NaN;
      return x;
    }

    it('softmax and log-softmax match js (NaN, -Inf and all -Inf rows)', () => {
      for (const [rows, cols] of [
        [1, 1],
        [3, 17],
        [17, 129],
        [65, 33],
        [300, 300],
      ]) {
        for (const log of [false, true]) {
          const x = softmaxInput(rows, cols);
          const what = `${log ? 'log-' : ''}softmax ${rows}x${cols}`;
          compare(what, new Float32Array(rows * cols), (be, out) => be.softmax(x, rows, cols, out, log));
          compare(`${what} in place`, x, (be, out) => be.softmax(out, rows, cols, out, log));
        }
      }
      const allMasked = new Float32Array(8).fill(Number.NEGATIVE_INFINITY);
      const out = new Float32Array(8);
      native().softmax(allMasked, 2, 4, out, false);
      assert.deepEqual([...out], new Array(8).fill(0));
      native().softmax(allMasked, 2, 4, out, true);
      assert.ok(out.every((v) => v === Number.NEGATIVE_INFINITY));
    });

    it('softmaxBackward matches js', () => {
      for (const [rows, cols] of [
        [1, 1],
        [3, 17],
        [17, 129],
        [300, 300],
      ]) {
        for (const log of [false, true]) {
          const y = new Float32Array(rows * cols);
          js.softmax(randomArray(rows * cols, -4, 4), rows, cols, y, log);
          const g = randomArray(rows * cols);
          compare(`softmaxBackward log=${log} ${rows}x${cols}`, new Float32Array(rows * cols), (be, out) =>
            be.softmaxBackward(y, g, rows, cols, out, log),
          );
        }
      }
    });
  });

  describe('data movement', () => {
    it('copy matches js for contiguous, transposed, broadcast, flipped and strided views', () => {
      const cases: [number[], number, number[], number, number[], number, number][] = [
        // shape, srcOffset, srcStrides, dstOffset, dstStrides, srcLength, dstLength
        [[17, 33], 0, [33, 1], 0, [33, 1], 561, 561],
        [[17, 33], 0, [1, 17], 0, [33, 1], 561, 561],
        [[3, 4, 5], 2, [1, 3, 12], 1, [20, 5, 1], 62, 61],
        [[17, 33], 0, [0, 1], 0, [33, 1], 33, 561],
        [[17, 33], 0, [1, 0], 0, [33, 1], 17, 561],
        [[129], 128, [-1], 0, [1], 129, 129],
        [[17, 33], 3, [33, 1], 5, [40, 1], 600, 700],
        [[5, 7], 0, [7, 1], 0, [1, 5], 35, 35],
        [[], 4, [], 2, [], 5, 3],
        [[0, 3], 0, [3, 1], 0, [3, 1], 0, 0],
        [[300, 300], 0, [1, 300], 0, [300, 1], 90000, 90000],
      ];
      for (const [shape, so, ss, dof, ds, sl, dl] of cases) {
        const src = randomArray(sl);
        compare(`copy ${shape} src ${ss}`, randomArray(dl), (be, out) =>
          be.copy(shape, { data: src, offset: so, strides: ss }, { data: out, offset: dof, strides: ds }),
        );
      }
    });

    it('gatherRows and scatterAddRows (repeated indices) match js', () => {
      for (const cols of [1, 17, 300]) {
        const rows = 50;
        const x = randomArray(rows * cols);
        const index = new Int32Array(129).map(() => Math.floor(rand() * rows));
        compare(`gatherRows cols=${cols}`, new Float32Array(index.length * cols), (be, out) =>
          be.gatherRows(x, cols, index, out),
        );
        const g = randomArray(index.length * cols);
        compare(`scatterAddRows cols=${cols}`, randomArray(rows * cols), (be, out) =>
          be.scatterAddRows(g, cols, index, out),
        );
      }
    });
  });

  describe('argument checking', () => {
    it('rejects bad arguments with an error naming the kernel instead of crashing', () => {
      const ad = addon();
      const f = new Float32Array(16);
      const params = new Float64Array(14);
      params.set([1, 4, 4, 4, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
      ad.gemm(f, f, f, params);
      params[3] = 5; // m·k = 20 > 16
      assert.throws(() => ad.gemm(f, f, f, params), /heed native gemm: 'a' needs 20 elements/);
      params[3] = 4;
      params[1] = 2 ** 40;
      assert.throws(
        () => ad.gemm(f, f, f, params),
        /heed native gemm: 'm' must be an integer in \[0, 2147483647\]/,
      );
      params[1] = 4.5;
      assert.throws(() => ad.gemm(f, f, f, params), /heed native gemm: 'm' must be an integer/);
      assert.throws(() => Reflect.apply(ad.gemm, ad, [f, f]), /heed native gemm: expected 4 arguments/);
      assert.throws(
        () => Reflect.apply(ad.gemm, ad, [new Float64Array(16), f, f, params]),
        /heed native gemm: argument 'a' must be a Float32Array/,
      );
      assert.throws(
        () =>
          native().gemm({
            ...{ batch: 1, m: 1, n: 1, k: 1, transA: false, transB: false },
            ...{ alpha: 1, beta: 0, a: new Float64Array(1), aOffset: 0, strideA: 0 },
            ...{ b: f, bOffset: 0, strideB: 0, c: f, cOffset: 0, strideC: 0 },
          }),
        /heed native gemm: 'a' must be a Float32Array/,
      );
      const meta = new Float64Array([2, 4, 4, 4, 3, 4, 4]);
      assert.throws(() => ad.binary(0, f, f, f, meta), /heed native binary: 'a' axis 1 has size 3/);
      assert.throws(() => ad.binary(99, f, f, f, meta), /heed native binary: 'op'/);
      assert.throws(() => ad.unary(0, f, new Float32Array(3)), /heed native unary: 'out' needs 16/);
      assert.throws(
        () => ad.gatherRows(f, 4, new Int32Array([0, 4]), f),
        /heed native gatherRows: index\[1\] = 4 is outside \[0, 4\)/,
      );
      assert.throws(
        () => ad.scatterAddRows(f, 4, new Int32Array([-1]), f),
        /heed native scatterAddRows: index\[0\] = -1/,
      );
      assert.throws(
        () => ad.copy(f, f, new Float64Array([1, 0, 0, 17, 1, 1])),
        /heed native copy: view 'src' reaches elements \[0, 16\]/,
      );
      assert.throws(() => ad.softmax(f, 5, 4, f, false), /heed native softmax: 'x' needs 20/);
      assert.throws(() => ad.reduce(0, f, 2, 3, 4, f, null), /heed native reduce: 'x' needs 24/);
      assert.throws(() => Reflect.apply(ad.softmax, ad, [f, 4, 4, f, 1]), /'log' must be a boolean/);
      assert.throws(
        () => ad.additiveScores(f, f, new Float32Array(4), f, 2, 2, 2, 5),
        /heed native additiveScores: 'q' needs 20 elements/,
      );
      assert.throws(
        () => ad.additiveScoresBackward(f, f, f, f, f, f, new Float32Array(2), 1, 2, 2, 4),
        /heed native additiveScoresBackward: 'dv' needs 4 elements/,
      );
      assert.throws(() => ad.additiveScores(f, f, f, f, 1, -1, 1, 1), /heed native additiveScores: 'tq'/);
      assert.throws(() => ad.packWeight(4, 5, f, false, f), /heed native packWeight: 'w' needs 20 elements/);
      assert.throws(
        () =>
          ad.gemmPackedWeight(
            4,
            4,
            f,
            2,
            new Float32Array(ad.packedWeightSize(4, 4)),
            new Float32Array(7),
            0,
          ),
        /heed native gemmPackedWeight: 'y' needs 8 elements/,
      );
      assert.throws(() => ad.packedWeightSize(-1, 2), /heed native packedWeightSize: 'n'/);
      assert.throws(() => setNativeThreads(0), /heed native setThreads/);
      assert.throws(() => Reflect.apply(ad.setGemm, ad, ['mkl']), /heed native setGemm/);
    });

    it('setNativeGemm only offers OpenBLAS when it was compiled in', () => {
      const before = nativeInfo();
      try {
        setNativeGemm('builtin');
        assert.equal(nativeInfo().gemm, 'builtin');
        if (before.openblas) {
          setNativeGemm('openblas');
          assert.equal(nativeInfo().gemm, 'openblas');
        } else {
          assert.throws(() => setNativeGemm('openblas'), /OpenBLAS is not compiled in/);
        }
      } finally {
        setNativeGemm(before.gemm);
      }
    });
  });
});
