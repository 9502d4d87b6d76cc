/**
 * The kernel interface every compute backend implements.
 *
 * Kernels work on raw, contiguous, row-major typed arrays and never allocate their outputs: the
 * tensor layer (src/ops) validates shapes, allocates the output and calls one kernel. A backend
 * therefore knows nothing of tensors, autograd or broadcasting rules beyond what a kernel's
 * arguments spell out. `js` is the reference implementation; `native` must agree with it on every
 * test. Float64 arrays are only ever given to `js` (the registry routes them there), so native
 * kernels can assume Float32Array.
 */

/** Names of the registered backends. */
export type BackendName = 'js' | 'native';

/** The element arrays a tensor may hold. */
export type FloatArray = Float32Array | Float64Array;

/** Elementwise binary operations (with NumPy broadcasting). */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum';

/** Elementwise unary operations. `gelu` is the exact erf form, as PyTorch's default. */
export type UnaryOp =
  | 'neg'
  | 'exp'
  | 'log'
  | 'tanh'
  | 'sigmoid'
  | 'relu'
  | 'gelu'
  | 'sqrt'
  | 'abs'
  | 'square';

/** Reductions over one axis. */
export type ReduceOp = 'sum' | 'max';

/**
 * One batched matrix product: for b in [0, batch),
 *   C_b = alpha · op(A_b) · op(B_b) + beta · C_b
 * where op(X) is X or Xᵀ. A_b starts at a[aOffset + b·strideA] and is stored row-major as
 * [m, k] (or [k, m] when transA); B_b as [k, n] (or [n, k] when transB); C_b as [m, n] at
 * c[cOffset + b·strideC]. A stride of 0 reuses one matrix for every batch; strideC = 0 with
 * beta = 1 sums all products into one C (batches are then accumulated in order, never raced).
 */
export interface GemmParams {
  batch: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  alpha: number;
  beta: number;
  a: FloatArray;
  aOffset: number;
  strideA: number;
  b: FloatArray;
  bOffset: number;
  strideB: number;
  c: FloatArray;
  cOffset: number;
  strideC: number;
}

/**
 * A strided view for copies: element i (multi-index idx over `shape`) lives at
 * offset + Σ idx[d]·strides[d]. Strides are in elements and may be 0 (broadcast read).
 */
export interface StridedView {
  data: FloatArray;
  offset: number;
  strides: readonly number[];
}

/** The kernels of one backend. Every member is a pure function of its arguments. */
export interface Backend {
  /** The registry name. */
  readonly name: BackendName;

  /** Batched GEMM as described by {@link GemmParams}. */
  gemm(p: GemmParams): void;

  /**
   * out[i] = op(a[ia], b[ib]) over `outShape`, where a and b are broadcast to `outShape` by NumPy
   * rules: `aShape` and `bShape` are already right-aligned and padded with 1s to outShape.length.
   */
  binary(
    op: BinaryOp,
    a: FloatArray,
    aShape: readonly number[],
    b: FloatArray,
    bShape: readonly number[],
    out: FloatArray,
    outShape: readonly number[],
  ): void;

  /** out[i] = op(x[i]); `out` may be `x` (in place). */
  unary(op: UnaryOp, x: FloatArray, out: FloatArray): void;

  /**
   * Gradient of a unary op: out[i] = g[i] · op'(x[i]), given the forward input `x` and output
   * `y` (kernels use whichever is cheaper: tanh and sigmoid use y, gelu and relu use x).
   */
  unaryBackward(op: UnaryOp, x: FloatArray, y: FloatArray, g: FloatArray, out: FloatArray): void;

  /**
   * Reduce x viewed as [outer, size, inner] over its middle axis into out [outer, inner].
   * For `max`, `argmax` (same length as out) receives the index in [0, size) of the first maximum;
   * NaN propagates as the maximum.
   */
  reduce(
    op: ReduceOp,
    x: FloatArray,
    outer: number,
    size: number,
    inner: number,
    out: FloatArray,
    argmax?: Int32Array,
  ): void;

  /**
   * Row softmax (or log-softmax when `log`) of x viewed as [rows, cols], numerically stable
   * (the row max is subtracted). A row that is entirely -Infinity gives zeros (never NaN) for
   * softmax and -Infinity for log-softmax.
   */
  softmax(x: FloatArray, rows: number, cols: number, out: FloatArray, log: boolean): void;

  /**
   * Gradient of {@link Backend.softmax} given its output y and the output gradient g:
   * softmax:     out = y ⊙ (g − Σ_row g⊙y)
   * log-softmax: out = g − exp(y) · Σ_row g
   */
  softmaxBackward(
    y: FloatArray,
    g: FloatArray,
    rows: number,
    cols: number,
    out: FloatArray,
    log: boolean,
  ): void;

  /** Copy the elements of a strided view of `shape` into another strided view. */
  copy(shape: readonly number[], src: StridedView, dst: StridedView): void;

  /**
   * Row gather: out[i, :] = x[index[i], :] for x viewed as [rows, cols]. Indices are validated
   * by the caller.
   */
  gatherRows(x: FloatArray, cols: number, index: Int32Array, out: FloatArray): void;

  /** Row scatter-add, the gradient of gatherRows: out[index[i], :] += g[i, :]. */
  scatterAddRows(g: FloatArray, cols: number, index: Int32Array, out: FloatArray): void;

  /**
   * out[i] = cond[ic] ? a[ia] : b[ib] with broadcasting as in {@link Backend.binary};
   * `cond` holds 0/1 bytes.
   */
  where(
    cond: Uint8Array,
    condShape: readonly number[],
    a: FloatArray,
    aShape: readonly number[],
    b: FloatArray,
    bShape: readonly number[],
    out: FloatArray,
    outShape: readonly number[],
  ): void;

  /** out[i] = value (a fill). */
  fill(out: FloatArray, value: number): void;
}
