/**
 * Shared by the native backend's tests (native-gemm.test.ts, native.test.ts): the addon or the
 * reason it is skipped, the js reference, seeded data with special values, and comparisons.
 *
 * When the addon did not load these tests fail with the load error, unless HEED_TEST_BACKENDS
 * excludes native (e.g. HEED_TEST_BACKENDS=js), in which case they are skipped with the reason.
 */
import assert from 'node:assert/strict';
import type { Backend, GemmParams } from '../backend.js';
import { createJsBackend } from '../js/index.js';
import { loadAddon, type NativeAddon } from './addon.js';
import { createNativeBackend, nativeInfo, setNativeGemm, setNativeThreads } from './index.js';

export const loaded = loadAddon();
const wanted = process.env.HEED_TEST_BACKENDS;
const excluded =
  wanted !== undefined &&
  !wanted
    .split(',')
    .map((s) => s.trim())
    .includes('native');
export const skip = excluded
  ? `HEED_TEST_BACKENDS=${wanted}${loaded instanceof Error ? `; native addon not loaded: ${loaded.message}` : ''}`
  : false;

export const js = createJsBackend();
let nativeBackend: Backend | undefined;

export function addon(): NativeAddon {
  if (loaded instanceof Error) throw loaded;
  return loaded;
}

export function native(): Backend {
  nativeBackend ??= createNativeBackend(addon());
  return nativeBackend;
}

// ---- data -------------------------------------------------------------------------------------

/** mulberry32: a small seeded generator so failures reproduce. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
export const rand = rng(20240601);

export function randomArray(n: number, lo = -1, hi = 1): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = lo + (hi - lo) * rand();
  return x;
}

export const SPECIALS = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, 1, -1];

/** Random data with special values sprinkled in. */
export function withSpecials(n: number, lo = -3, hi = 3): Float32Array {
  const x = randomArray(n, lo, hi);
  for (let i = 0; i < n; i += 7) x[i] = SPECIALS[(i / 7) % SPECIALS.length];
  return x;
}

export const numel = (shape: readonly number[]): number => shape.reduce((p, v) => p * v, 1);

// ---- comparison -------------------------------------------------------------------------------

/** Equal, or both NaN, or within atol + rtol·|expected| (exact for infinities). */
export function assertClose(
  actual: Float32Array | Int32Array,
  expected: Float32Array | Int32Array,
  what: string,
  rtol = 1e-5,
  atol = 1e-6,
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Object.is(a, e) || a === e || (Number.isNaN(a) && Number.isNaN(e))) continue;
    if (Number.isFinite(e) && Math.abs(a - e) <= atol + rtol * Math.abs(e)) continue;
    assert.fail(`${what}: element ${i} is ${a}, expected ${e}`);
  }
}

/** Runs the same kernel call on both backends with separate copies of `out`; compares. */
export function compare(
  what: string,
  out: Float32Array,
  call: (b: Backend, out: Float32Array) => void,
  rtol?: number,
  atol?: number,
): void {
  const expected = out.slice();
  const actual = out.slice();
  call(js, expected);
  call(native(), actual);
  assertClose(actual, expected, what, rtol, atol);
}

// ---- GEMM -------------------------------------------------------------------------------------

export interface GemmSpec {
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  beta?: number;
  batch?: number;
  strideA?: number;
  strideB?: number;
  strideC?: number;
  offset?: number;
}

export const u32 = 2 ** -24;

/** Builds one GEMM problem, runs js and native on it and checks the error bound. */
export function checkGemm(s: GemmSpec, label: string): void {
  const { m, n, k } = s;
  const batch = s.batch ?? 1;
  const off = s.offset ?? 0;
  const strideA = s.strideA ?? m * k;
  const strideB = s.strideB ?? k * n;
  const strideC = s.strideC ?? m * n;
  const extent = (stride: number, per: number) => off + Math.max(0, batch - 1) * stride + per + 2;
  const a = randomArray(extent(strideA, m * k));
  const b = randomArray(extent(strideB, k * n));
  const c = randomArray(extent(strideC, m * n));
  const base: GemmParams = {
    batch,
    m,
    n,
    k,
    transA: s.transA ?? false,
    transB: s.transB ?? false,
    alpha: s.alpha ?? 1,
    beta: s.beta ?? 0,
    a,
    aOffset: off,
    strideA,
    b,
    bOffset: off,
    strideB,
    c,
    cOffset: off,
    strideC,
  };
  const expected = c.slice();
  const actual = c.slice();
  js.gemm({ ...base, c: expected });
  native().gemm({ ...base, c: actual });
  // Rounding bound: each output is a float32 dot product of k·batch terms, so its error is at
  // most ~(terms)·u·(|alpha|·Σ|a||b| + |beta·c|); the js gemm of the absolute values gives that.
  const bound = c.map(Math.abs);
  const abs = (x: Float32Array) => x.map(Math.abs);
  js.gemm({
    ...base,
    a: abs(a),
    b: abs(b),
    c: bound,
    alpha: Math.abs(base.alpha),
    beta: Math.abs(base.beta),
  });
  const terms = k * batch + 8;
  for (let i = 0; i < expected.length; i++) {
    const tol = 2 * terms * u32 * bound[i] + 1e-30;
    const e = expected[i];
    const x = actual[i];
    if (!(Math.abs(x - e) <= tol || (Number.isNaN(x) && Number.isNaN(e)))) {
      assert.fail(`${label} ${JSON.stringify(s)}: c[${i}] = ${x}, expected ${e} (tol ${tol})`);
    }
  }
}

export const ODD = [1, 3, 17, 33, 65, 127, 129];
export const TRANSPOSES = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

export function gemmKinds(): ('builtin' | 'openblas')[] {
  return nativeInfo().openblas ? ['builtin', 'openblas'] : ['builtin'];
}

/** Runs fn for each GEMM implementation and thread count, restoring the defaults afterwards. */
export function forEachGemm(fn: (label: string) => void): void {
  const before = nativeInfo();
  try {
    for (const kind of gemmKinds()) {
      for (const threads of [1, 2]) {
        setNativeGemm(kind);
        setNativeThreads(threads);
        fn(`${kind}/${threads}t`);
      }
    }
  } finally {
    setNativeGemm(before.gemm);
    setNativeThreads(before.threads);
  }
}
