/**
 * Loading and typing of the native addon (build/Release/heed_native.node, built from native/*.c
 * by scripts/build-native.mjs). Loading fails soft: {@link loadAddon} returns the Error instead
 * of throwing, and heed falls back to the js backend.
 */
import { createRequire } from 'node:module';

/** What the addon reports about itself. */
export interface NativeAddonInfo {
  /** The GEMM in use. */
  gemm: 'openblas' | 'builtin';
  /** Threads the kernels use. */
  threads: number;
  /** The instruction set the built-in kernels were compiled for. */
  simd: string;
  /** Whether OpenBLAS was compiled in (so `setGemm('openblas')` is possible). */
  openblas: boolean;
  /** Whether the kernels were built with the thread pool (threads > 1 possible). */
  threaded: boolean;
}

/**
 * The functions the addon exports. Arrays are passed whole (the C side applies offsets), op names
 * are small integer codes (see index.ts), and shapes/scalars that would otherwise be many
 * arguments travel in a caller-owned, reused Float64Array.
 */
export interface NativeAddon {
  /** params: [batch, m, n, k, transA, transB, alpha, beta, aOffset, strideA, bOffset, strideB, cOffset, strideC] */
  gemm(a: Float32Array, b: Float32Array, c: Float32Array, params: Float64Array): void;
  packedWeightSize(n: number, k: number): number;
  packWeight(n: number, k: number, w: Float32Array, trans: boolean, packed: Float32Array): void;
  gemmPackedWeight(
    n: number,
    k: number,
    x: Float32Array,
    rows: number,
    packed: Float32Array,
    y: Float32Array,
    beta: number,
  ): void;
  /** meta: [ndim, outShape..., aShape..., bShape...] */
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array, meta: Float64Array): void;
  unary(op: number, x: Float32Array, out: Float32Array): void;
  unaryBackward(op: number, x: Float32Array, y: Float32Array, g: Float32Array, out: Float32Array): void;
  reduce(
    op: number,
    x: Float32Array,
    outer: number,
    size: number,
    inner: number,
    out: Float32Array,
    argmax: Int32Array | null,
  ): void;
  softmax(x: Float32Array, rows: number, cols: number, out: Float32Array, log: boolean): void;
  softmaxBackward(
    y: Float32Array,
    g: Float32Array,
    rows: number,
    cols: number,
    out: Float32Array,
    log: boolean,
  ): void;
  /** The fused layer norm kernels; arrays (null: no affine part / gradient not wanted), then sizes. */
  layerNormForward(
    x: Float32Array,
    weight: Float32Array | null,
    bias: Float32Array | null,
    y: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
    rows: number,
    cols: number,
    eps: number,
  ): void;
  layerNormBackward(
    x: Float32Array,
    g: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
    weight: Float32Array | null,
    dx: Float32Array,
    dWeight: Float32Array | null,
    dBias: Float32Array | null,
    rows: number,
    cols: number,
  ): void;
  /** meta: [ndim, srcOffset, dstOffset, shape..., srcStrides..., dstStrides...] */
  copy(src: Float32Array, dst: Float32Array, meta: Float64Array): void;
  gatherRows(x: Float32Array, cols: number, index: Int32Array, out: Float32Array): void;
  scatterAddRows(g: Float32Array, cols: number, index: Int32Array, out: Float32Array): void;
  /** meta: [ndim, outShape..., condShape..., aShape..., bShape...] */
  where(cond: Uint8Array, a: Float32Array, b: Float32Array, out: Float32Array, meta: Float64Array): void;
  fill(out: Float32Array, value: number): void;
  /** The fused LSTM/GRU step kernels; arrays first, then batch and hidden (see backend.ts). */
  lstmCellForward(
    gates: Float32Array,
    c: Float32Array,
    act: Float32Array,
    cNext: Float32Array,
    tanhC: Float32Array,
    hNext: Float32Array,
    batch: number,
    hidden: number,
  ): void;
  lstmCellBackward(
    act: Float32Array,
    c: Float32Array,
    tanhC: Float32Array,
    dh: Float32Array,
    dcNext: Float32Array,
    dGates: Float32Array,
    dc: Float32Array,
    batch: number,
    hidden: number,
  ): void;
  gruCellForward(
    xProj: Float32Array,
    hProj: Float32Array,
    h: Float32Array,
    act: Float32Array,
    hNext: Float32Array,
    batch: number,
    hidden: number,
  ): void;
  gruCellBackward(
    act: Float32Array,
    hProj: Float32Array,
    h: Float32Array,
    dhNext: Float32Array,
    dxProj: Float32Array,
    dhProj: Float32Array,
    dh: Float32Array,
    batch: number,
    hidden: number,
  ): void;
  additiveScores(
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    scores: Float32Array,
    batch: number,
    tq: number,
    tk: number,
    dim: number,
  ): void;
  additiveScoresBackward(
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    g: Float32Array,
    dq: Float32Array,
    dk: Float32Array,
    dv: Float32Array,
    batch: number,
    tq: number,
    tk: number,
    dim: number,
  ): void;
  /** params: [lr, momentum, dampening, weightDecay, maximize, nesterov, firstStep] (flags 0/1) */
  sgdStep(p: Float32Array, g: Float32Array, buf: Float32Array | null, params: Float64Array): void;
  /** params: [step, lr, beta1, beta2, eps, weightDecay, maximize, decoupled] (flags 0/1) */
  adamStep(
    p: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    vMax: Float32Array | null,
    params: Float64Array,
  ): void;
  /** Σ|x_i|^p in float64, or max |x_i| for p = Infinity. */
  normPow(x: Float32Array, p: number): number;
  /**
   * params: [bh, tq, tk, d, dv, scale, causal, maskHeads, maskStrideB, maskStrideH, maskStrideQ,
   * heads, then (offset, strideB, strideH, strideT) of q, k, v and out] (AttentionLayout).
   */
  attentionForward(
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    mask: Uint8Array | null,
    out: Float32Array,
    lse: Float32Array,
    weights: Float32Array | null,
    params: Float64Array,
  ): void;
  /** params as for attentionForward; dq, dk, dv are overwritten; gradWeights needs weights. */
  attentionBackward(
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    mask: Uint8Array | null,
    out: Float32Array,
    lse: Float32Array,
    dout: Float32Array,
    dq: Float32Array,
    dk: Float32Array,
    dv: Float32Array,
    weights: Float32Array | null,
    gradWeights: Float32Array | null,
    params: Float64Array,
  ): void;
  info(): NativeAddonInfo;
  /** Throws if 'openblas' is requested but was not compiled in. */
  setGemm(kind: 'openblas' | 'builtin'): void;
  setThreads(n: number): void;
  /** Measured fp32 FMA throughput of `threads` threads (best of three short runs), in GFLOPS. */
  peak(threads: number): number;
}

const FUNCTIONS = [
  'gemm',
  'packedWeightSize',
  'packWeight',
  'gemmPackedWeight',
  'binary',
  'unary',
  'unaryBackward',
  'reduce',
  'softmax',
  'softmaxBackward',
  'layerNormForward',
  'layerNormBackward',
  'copy',
  'gatherRows',
  'scatterAddRows',
  'where',
  'fill',
  'lstmCellForward',
  'lstmCellBackward',
  'gruCellForward',
  'gruCellBackward',
  'additiveScores',
  'additiveScoresBackward',
  'sgdStep',
  'adamStep',
  'normPow',
  'attentionForward',
  'attentionBackward',
  'info',
  'setGemm',
  'setThreads',
  'peak',
] as const;

/** True when `mod` exports every function of {@link NativeAddon} (guards against a stale build). */
function isNativeAddon(mod: unknown): mod is NativeAddon {
  if (typeof mod !== 'object' || mod === null) return false;
  return FUNCTIONS.every((name) => name in mod && typeof Reflect.get(mod, name) === 'function');
}

/** The path is relative to dist/backend/native/, where tsc puts this module. */
const ADDON_PATH = '../../../build/Release/heed_native.node';

let cached: NativeAddon | Error | undefined;

/** Loads the addon once; returns the Error (never throws) when it is missing or unusable. */
export function loadAddon(): NativeAddon | Error {
  if (cached !== undefined) return cached;
  // heed threads OpenBLAS GEMMs itself (one single-threaded OpenBLAS call per piece on heed's
  // thread pool; see native/gemm.c). OpenBLAS reads this when the addon pulls it in; without it, OpenBLAS
  // starts its own thread pool, whose busy-waiting steals a core from heed's threads.
  process.env.OPENBLAS_NUM_THREADS ??= '1';
  try {
    const mod: unknown = createRequire(import.meta.url)(ADDON_PATH);
    cached = isNativeAddon(mod)
      ? mod
      : new Error(`${ADDON_PATH} is not the heed addon or is out of date (rebuild: npm run install)`);
  } catch (e) {
    cached = describeLoadError(e);
  }
  return cached;
}

/** One readable line (require's own message appends a multi-line require stack). */
function describeLoadError(e: unknown): Error {
  if (!(e instanceof Error)) return new Error(String(e));
  const missing = 'code' in e && e.code === 'MODULE_NOT_FOUND';
  const message = missing
    ? 'build/Release/heed_native.node not found (the native build was skipped or failed; run `node scripts/build-native.mjs --verbose` to see why)'
    : (e.message.split('\n')[0] ?? e.message);
  return new Error(message, { cause: e });
}
