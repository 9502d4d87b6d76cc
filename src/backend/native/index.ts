/**
 * The `native` backend: a thin adapter from the {@link Backend} interface to the C addon.
 *
 * Hot paths allocate nothing: op names map to integer codes through constant tables, and the
 * scalars/shapes a kernel needs are written into Float64Arrays owned by the backend and reused
 * on every call (the C side reads them in one typed-array lookup). Native kernels are float32
 * only; the registry routes float64 tensors to js, and a Float64Array reaching here is a bug
 * that throws.
 */
import type {
  AttentionHeadLayout,
  AttentionParams,
  Backend,
  BinaryOp,
  FloatArray,
  ReduceOp,
  UnaryOp,
} from '../backend.js';
import { loadAddon, type NativeAddon, type NativeAddonInfo } from './addon.js';

/** Op codes: must match the enums in native/heed.h. */
const BINARY_CODES: Readonly<Record<BinaryOp, number>> = {
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  pow: 4,
  maximum: 5,
  minimum: 6,
};

const UNARY_CODES: Readonly<Record<UnaryOp, number>> = {
  neg: 0,
  exp: 1,
  log: 2,
  tanh: 3,
  sigmoid: 4,
  relu: 5,
  gelu: 6,
  sqrt: 7,
  abs: 8,
  square: 9,
};

const REDUCE_CODES: Readonly<Record<ReduceOp, number>> = { sum: 0, max: 1 };

/** Number of GEMM parameter slots (layout documented on {@link NativeAddon.gemm}). */
const GEMM_PARAMS = 14;

/** Number of attention parameter slots (layout documented on {@link NativeAddon.attentionForward}). */
const ATTENTION_PARAMS = 28;

/** Optimizer parameter slots (layouts documented on {@link NativeAddon.sgdStep} and adamStep). */
const SGD_PARAMS = 7;
const ADAM_PARAMS = 8;

/** Writes an attention problem's sizes, mask layout and head layouts into the reused slots. */
function attentionParamsOf(p: AttentionParams, slots: Float64Array): Float64Array {
  const m = p.mask;
  slots[0] = p.bh;
  slots[1] = p.tq;
  slots[2] = p.tk;
  slots[3] = p.d;
  slots[4] = p.dv;
  slots[5] = p.scale;
  slots[6] = p.causal ? 1 : 0;
  slots[7] = m?.heads ?? 1;
  slots[8] = m?.strideB ?? 0;
  slots[9] = m?.strideH ?? 0;
  slots[10] = m?.strideQ ?? 0;
  const l = p.layout ?? null;
  slots[11] = l?.heads ?? 1;
  headSlots(slots, 12, l?.q, p.tq, p.d);
  headSlots(slots, 16, l?.k, p.tk, p.d);
  headSlots(slots, 20, l?.v, p.tk, p.dv);
  headSlots(slots, 24, l?.out, p.tq, p.dv);
  return slots;
}

/** One tensor's head layout at slots[at..at+3]; without one, contiguous [bh, t, width]. */
function headSlots(
  slots: Float64Array,
  at: number,
  h: AttentionHeadLayout | undefined,
  t: number,
  width: number,
): void {
  slots[at] = h?.offset ?? 0;
  slots[at + 1] = h?.strideB ?? t * width;
  slots[at + 2] = h?.strideH ?? 0;
  slots[at + 3] = h?.strideT ?? width;
}

function f32(x: FloatArray, kernel: string, name: string): Float32Array {
  if (x instanceof Float32Array) return x;
  throw new TypeError(
    `heed native ${kernel}: '${name}' must be a Float32Array (float64 tensors run on the js backend)`,
  );
}

/** Creates the native backend over a loaded addon. */
export function createNativeBackend(addon: NativeAddon): Backend {
  const gemmParams = new Float64Array(GEMM_PARAMS);
  const attentionParams = new Float64Array(ATTENTION_PARAMS);
  const sgdParams = new Float64Array(SGD_PARAMS);
  const adamParams = new Float64Array(ADAM_PARAMS);
  let meta = new Float64Array(64);

  /** The shared shape buffer, grown (rarely) to hold `size` slots. */
  function metaFor(size: number): Float64Array {
    if (meta.length < size) meta = new Float64Array(Math.max(size, 2 * meta.length));
    return meta;
  }

  return {
    name: 'native',

    gemm(p) {
      const q = gemmParams;
      q[0] = p.batch;
      q[1] = p.m;
      q[2] = p.n;
      q[3] = p.k;
      q[4] = p.transA ? 1 : 0;
      q[5] = p.transB ? 1 : 0;
      q[6] = p.alpha;
      q[7] = p.beta;
      q[8] = p.aOffset;
      q[9] = p.strideA;
      q[10] = p.bOffset;
      q[11] = p.strideB;
      q[12] = p.cOffset;
      q[13] = p.strideC;
      addon.gemm(f32(p.a, 'gemm', 'a'), f32(p.b, 'gemm', 'b'), f32(p.c, 'gemm', 'c'), q);
    },

    packedWeightSize(n, k) {
      return addon.packedWeightSize(n, k);
    },

    packWeight(w, n, k, trans, packed) {
      const K = 'packWeight';
      addon.packWeight(n, k, f32(w, K, 'w'), trans, f32(packed, K, 'packed'));
    },

    gemmPackedWeight(x, rows, packed, n, k, y, beta) {
      const K = 'gemmPackedWeight';
      addon.gemmPackedWeight(n, k, f32(x, K, 'x'), rows, f32(packed, K, 'packed'), f32(y, K, 'y'), beta);
    },

    binary(op, a, aShape, b, bShape, out, outShape) {
      const nd = outShape.length;
      const m = metaFor(1 + 3 * nd);
      m[0] = nd;
      for (let d = 0; d < nd; d++) {
        m[1 + d] = outShape[d];
        m[1 + nd + d] = aShape[d];
        m[1 + 2 * nd + d] = bShape[d];
      }
      addon.binary(
        BINARY_CODES[op],
        f32(a, 'binary', 'a'),
        f32(b, 'binary', 'b'),
        f32(out, 'binary', 'out'),
        m,
      );
    },

    unary(op, x, out) {
      addon.unary(UNARY_CODES[op], f32(x, 'unary', 'x'), f32(out, 'unary', 'out'));
    },

    unaryBackward(op, x, y, g, out) {
      addon.unaryBackward(
        UNARY_CODES[op],
        f32(x, 'unaryBackward', 'x'),
        f32(y, 'unaryBackward', 'y'),
        f32(g, 'unaryBackward', 'g'),
        f32(out, 'unaryBackward', 'out'),
      );
    },

    reduce(op, x, outer, size, inner, out, argmax) {
      addon.reduce(
        REDUCE_CODES[op],
        f32(x, 'reduce', 'x'),
        outer,
        size,
        inner,
        f32(out, 'reduce', 'out'),
        argmax ?? null,
      );
    },

    softmax(x, rows, cols, out, log) {
      addon.softmax(f32(x, 'softmax', 'x'), rows, cols, f32(out, 'softmax', 'out'), log);
    },

    softmaxBackward(y, g, rows, cols, out, log) {
      addon.softmaxBackward(
        f32(y, 'softmaxBackward', 'y'),
        f32(g, 'softmaxBackward', 'g'),
        rows,
        cols,
        f32(out, 'softmaxBackward', 'out'),
        log,
      );
    },

    layerNormForward(x, rows, cols, weight, bias, eps, y, mean, rstd) {
      const K = 'layerNormForward';
      addon.layerNormForward(
        f32(x, K, 'x'),
        weight === null ? null : f32(weight, K, 'weight'),
        bias === null ? null : f32(bias, K, 'bias'),
        f32(y, K, 'y'),
        f32(mean, K, 'mean'),
        f32(rstd, K, 'rstd'),
        rows,
        cols,
        eps,
      );
    },

    layerNormBackward(x, g, mean, rstd, rows, cols, weight, dx, dWeight, dBias) {
      const K = 'layerNormBackward';
      addon.layerNormBackward(
        f32(x, K, 'x'),
        f32(g, K, 'g'),
        f32(mean, K, 'mean'),
        f32(rstd, K, 'rstd'),
        weight === null ? null : f32(weight, K, 'weight'),
        f32(dx, K, 'dx'),
        dWeight === null ? null : f32(dWeight, K, 'dWeight'),
        dBias === null ? null : f32(dBias, K, 'dBias'),
        rows,
        cols,
      );
    },

    copy(shape, src, dst) {
      const nd = shape.length;
      const m = metaFor(3 + 3 * nd);
      m[0] = nd;
      m[1] = src.offset;
      m[2] = dst.offset;
      for (let d = 0; d < nd; d++) {
        m[3 + d] = shape[d];
        m[3 + nd + d] = src.strides[d];
        m[3 + 2 * nd + d] = dst.strides[d];
      }
      addon.copy(f32(src.data, 'copy', 'src'), f32(dst.data, 'copy', 'dst'), m);
    },

    gatherRows(x, cols, index, out) {
      addon.gatherRows(f32(x, 'gatherRows', 'x'), cols, index, f32(out, 'gatherRows', 'out'));
    },

    scatterAddRows(g, cols, index, out) {
      addon.scatterAddRows(f32(g, 'scatterAddRows', 'g'), cols, index, f32(out, 'scatterAddRows', 'out'));
    },

    where(cond, condShape, a, aShape, b, bShape, out, outShape) {
      const nd = outShape.length;
      const m = metaFor(1 + 4 * nd);
      m[0] = nd;
      for (let d = 0; d < nd; d++) {
        m[1 + d] = outShape[d];
        m[1 + nd + d] = condShape[d];
        m[1 + 2 * nd + d] = aShape[d];
        m[1 + 3 * nd + d] = bShape[d];
      }
      addon.where(cond, f32(a, 'where', 'a'), f32(b, 'where', 'b'), f32(out, 'where', 'out'), m);
    },

    fill(out, value) {
      addon.fill(f32(out, 'fill', 'out'), value);
    },

    lstmCellForward(gates, c, batch, hidden, act, cNext, tanhC, hNext) {
      const K = 'lstmCellForward';
      addon.lstmCellForward(
        f32(gates, K, 'gates'),
        f32(c, K, 'c'),
        f32(act, K, 'act'),
        f32(cNext, K, 'cNext'),
        f32(tanhC, K, 'tanhC'),
        f32(hNext, K, 'hNext'),
        batch,
        hidden,
      );
    },

    lstmCellBackward(act, c, tanhC, dh, dcNext, batch, hidden, dGates, dc) {
      const K = 'lstmCellBackward';
      addon.lstmCellBackward(
        f32(act, K, 'act'),
        f32(c, K, 'c'),
        f32(tanhC, K, 'tanhC'),
        f32(dh, K, 'dh'),
        f32(dcNext, K, 'dcNext'),
        f32(dGates, K, 'dGates'),
        f32(dc, K, 'dc'),
        batch,
        hidden,
      );
    },

    gruCellForward(xProj, hProj, h, batch, hidden, act, hNext) {
      const K = 'gruCellForward';
      addon.gruCellForward(
        f32(xProj, K, 'xProj'),
        f32(hProj, K, 'hProj'),
        f32(h, K, 'h'),
        f32(act, K, 'act'),
        f32(hNext, K, 'hNext'),
        batch,
        hidden,
      );
    },

    gruCellBackward(act, hProj, h, dhNext, batch, hidden, dxProj, dhProj, dh) {
      const K = 'gruCellBackward';
      addon.gruCellBackward(
        f32(act, K, 'act'),
        f32(hProj, K, 'hProj'),
        f32(h, K, 'h'),
        f32(dhNext, K, 'dhNext'),
        f32(dxProj, K, 'dxProj'),
        f32(dhProj, K, 'dhProj'),
        f32(dh, K, 'dh'),
        batch,
        hidden,
      );
    },

    additiveScores(q, k, v, batch, tq, tk, dim, scores) {
      const K = 'additiveScores';
      addon.additiveScores(
        f32(q, K, 'q'),
        f32(k, K, 'k'),
        f32(v, K, 'v'),
        f32(scores, K, 'scores'),
        batch,
        tq,
        tk,
        dim,
      );
    },

    additiveScoresBackward(q, k, v, g, batch, tq, tk, dim, dq, dk, dv) {
      const K = 'additiveScoresBackward';
      addon.additiveScoresBackward(
        f32(q, K, 'q'),
        f32(k, K, 'k'),
        f32(v, K, 'v'),
        f32(g, K, 'g'),
        f32(dq, K, 'dq'),
        f32(dk, K, 'dk'),
        f32(dv, K, 'dv'),
        batch,
        tq,
        tk,
        dim,
      );
    },

    sgdStep(p, g, buf, h) {
      const K = 'sgdStep';
      const q = sgdParams;
      q[0] = h.lr;
      q[1] = h.momentum;
      q[2] = h.dampening;
      q[3] = h.weightDecay;
      q[4] = h.maximize ? 1 : 0;
      q[5] = h.nesterov ? 1 : 0;
      q[6] = h.firstStep ? 1 : 0;
      addon.sgdStep(f32(p, K, 'p'), f32(g, K, 'g'), buf === null ? null : f32(buf, K, 'buf'), q);
    },

    adamStep(p, g, m, v, vMax, h) {
      const K = 'adamStep';
      const q = adamParams;
      q[0] = h.step;
      q[1] = h.lr;
      q[2] = h.beta1;
      q[3] = h.beta2;
      q[4] = h.eps;
      q[5] = h.weightDecay;
      q[6] = h.maximize ? 1 : 0;
      q[7] = h.decoupled ? 1 : 0;
      addon.adamStep(
        f32(p, K, 'p'),
        f32(g, K, 'g'),
        f32(m, K, 'm'),
        f32(v, K, 'v'),
        vMax === null ? null : f32(vMax, K, 'vMax'),
        q,
      );
    },

    normPow(x, p) {
      return addon.normPow(f32(x, 'normPow', 'x'), p);
    },

    attentionForward(p, out, lse, weights = null) {
      const K = 'attentionForward';
      addon.attentionForward(
        f32(p.q, K, 'q'),
        f32(p.k, K, 'k'),
        f32(p.v, K, 'v'),
        p.mask?.data ?? null,
        f32(out, K, 'out'),
        f32(lse, K, 'lse'),
        weights === null ? null : f32(weights, K, 'weights'),
        attentionParamsOf(p, attentionParams),
      );
    },

    attentionBackward(p, out, lse, gradOut, dq, dk, dv, weights = null, gradWeights = null) {
      const K = 'attentionBackward';
      addon.attentionBackward(
        f32(p.q, K, 'q'),
        f32(p.k, K, 'k'),
        f32(p.v, K, 'v'),
        p.mask?.data ?? null,
        f32(out, K, 'out'),
        f32(lse, K, 'lse'),
        f32(gradOut, K, 'gradOut'),
        f32(dq, K, 'dq'),
        f32(dk, K, 'dk'),
        f32(dv, K, 'dv'),
        weights === null ? null : f32(weights, K, 'weights'),
        gradWeights === null ? null : f32(gradWeights, K, 'gradWeights'),
        attentionParamsOf(p, attentionParams),
      );
    },
  };
}

function requireAddon(): NativeAddon {
  const addon = loadAddon();
  if (addon instanceof Error) throw addon;
  return addon;
}

/** Which GEMM runs, how many threads kernels use and the SIMD level; throws if not loaded. */
export function nativeInfo(): NativeAddonInfo {
  return requireAddon().info();
}

/**
 * Selects OpenBLAS or the built-in GEMM (tests exercise both). Throws if 'openblas' is requested
 * but was not compiled in, or if the addon is not loaded.
 */
export function setNativeGemm(kind: 'openblas' | 'builtin'): void {
  requireAddon().setGemm(kind);
}

/** Sets the thread count of native kernels (and of OpenBLAS); n is an integer in [1, 1024]. */
export function setNativeThreads(n: number): void {
  requireAddon().setThreads(n);
}

/**
 * This machine's measured fp32 peak on `threads` threads, in GFLOPS: each thread runs a loop of
 * independent FMAs at the widest vector width the addon was built for (takes ~0.1 s).
 */
export function measurePeakGflops(threads: number): number {
  return requireAddon().peak(threads);
}
