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

/**
 * A boolean attention mask (1 = attention allowed) laid out for BH heads without copying the
 * common cases: head b, query i, key j reads
 *   data[⌊b / heads⌋·strideB + (b mod heads)·strideH + i·strideQ + j].
 * `heads` splits the flattened head index into an outer and an inner part (e.g. [B, H]), so a
 * key-padding mask [B, 1, 1, Tk] is heads = H, strideB = Tk, strideH = strideQ = 0, and one
 * [Tq, Tk] mask for every head is heads = 1, strideB = strideH = 0, strideQ = Tk. Strides are
 * ≥ 0 (0 broadcasts); BH is a multiple of `heads`; keys are contiguous.
 */
export interface AttentionMaskLayout {
  data: Uint8Array;
  heads: number;
  strideB: number;
  strideH: number;
  strideQ: number;
}

/**
 * Where one tensor's heads live in its array ({@link AttentionLayout}): row i of head b starts at
 *   offset + ⌊b / heads⌋·strideB + (b mod heads)·strideH + i·strideT
 * and holds its d (or dv) values contiguously. Strides are ≥ 0.
 */
export interface AttentionHeadLayout {
  offset: number;
  strideB: number;
  strideH: number;
  strideT: number;
}

/**
 * Heads read and written in place inside larger arrays, e.g. the heads of a [B, T, H·hs]
 * projection (heads = H, offset = the column where the block starts, strideB = T·row width,
 * strideH = hs, strideT = row width), so multi-head attention needs no head split or merge.
 * `heads` divides bh and splits the flat head index b into ⌊b / heads⌋ and b mod heads. The
 * gradients share their tensor's layout (dq q's, dk k's, dv v's, gradOut out's); lse stays
 * contiguous [bh, tq]. The heads of dq, dk and dv must not overlap (they may share one array).
 */
export interface AttentionLayout {
  heads: number;
  q: AttentionHeadLayout;
  k: AttentionHeadLayout;
  v: AttentionHeadLayout;
  out: AttentionHeadLayout;
}

/**
 * One fused attention problem over `bh` independent heads (FlashAttention, Dao et al. 2022):
 * q [bh, tq, d], k [bh, tk, d], v [bh, tk, dv], contiguous unless `layout` places the heads
 * elsewhere (then out and the gradients follow it too). Query i of a head may attend to key
 * j when (not `causal` or j ≤ i: top-left aligned, as PyTorch) and (no mask or the mask allows
 * it). With s_ij = scale·q_i·k_j over the allowed keys:
 *   lse_i = log Σ_j exp(s_ij),   out_i = Σ_j exp(s_ij − lse_i)·v_j.
 * A query with no allowed key has out_i = 0 and lse_i = −∞ (never NaN).
 */
export interface AttentionParams {
  bh: number;
  tq: number;
  tk: number;
  d: number;
  dv: number;
  scale: number;
  causal: boolean;
  q: FloatArray;
  k: FloatArray;
  v: FloatArray;
  mask: AttentionMaskLayout | null;
  /** Where the heads of q, k, v and out live; absent or null: contiguous [bh, t, ·]. */
  layout?: AttentionLayout | null;
}

/**
 * The hyperparameters of one Adam or AdamW update ({@link Backend.adamStep}); `step` is the
 * parameter's step count t, this step included.
 */
export interface AdamStepParams {
  step: number;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** AdamW: decay the parameter by η·λ instead of adding λ·p to the gradient. */
  decoupled: boolean;
  maximize: boolean;
}

/** The hyperparameters of one SGD update ({@link Backend.sgdStep}). */
export interface SgdStepParams {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
  maximize: boolean;
  /** The momentum buffer holds nothing yet (it starts as a copy of the first d). */
  firstStep: boolean;
}

/** The kernels of one backend. Every member is a pure function of its arguments. */
export interface Backend {
  /** The registry name. */
  readonly name: BackendName;

  /** Batched GEMM as described by {@link GemmParams}. */
  gemm(p: GemmParams): void;

  /**
   * Floats {@link Backend.packWeight} writes for a weight op(W) [n, k]: a weight that meets a
   * small operand in many products in a row (an RNN's W_hh, once per step) is packed once into
   * the backend's own layout.
   */
  packedWeightSize(n: number, k: number): number;

  /** Packs op(W) [n, k] of w, stored [n, k] (or [k, n] when `trans`), for gemmPackedWeight. */
  packWeight(w: FloatArray, n: number, k: number, trans: boolean, packed: FloatArray): void;

  /** y [rows, n] = beta·y + x [rows, k]·op(W)ᵀ, with op(W) packed by {@link Backend.packWeight}. */
  gemmPackedWeight(
    x: FloatArray,
    rows: number,
    packed: FloatArray,
    n: number,
    k: number,
    y: FloatArray,
    beta: number,
  ): void;

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
   * softmax and -Infinity for log-softmax. `out` may be `x` (in place).
   */
  softmax(x: FloatArray, rows: number, cols: number, out: FloatArray, log: boolean): void;

  /**
   * Gradient of {@link Backend.softmax} given its output y and the output gradient g:
   * softmax:     out = y ⊙ (g − Σ_row g⊙y)
   * log-softmax: out = g − exp(y) · Σ_row g
   * `out` may be `g` (in place).
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
   * `cond` holds 0/1 bytes. `out` may be an operand of its own shape (in place).
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

  /**
   * The pointwise part of one LSTM step, fused (gate blocks in PyTorch order [i, f, g, o]):
   *   i, f, o = σ(zᵢ), σ(z_f), σ(z_o);  g = tanh(z_g);  c' = f ⊙ c + i ⊙ g;  h' = o ⊙ tanh(c').
   * gates [B, 4H] holds the pre-activations z and c [B, H] the cell state. Writes act [B, 4H]
   * (i, f, g, o after their nonlinearities; `act` may be `gates`, overwritten in place),
   * cNext = c', tanhC = tanh(c') and hNext = h', each [B, H].
   */
  lstmCellForward(
    gates: FloatArray,
    c: FloatArray,
    batch: number,
    hidden: number,
    act: FloatArray,
    cNext: FloatArray,
    tanhC: FloatArray,
    hNext: FloatArray,
  ): void;

  /**
   * Gradient of {@link Backend.lstmCellForward} from its saved act, c and tanhC and the output
   * gradients dh = ∂L/∂h' and dcNext = ∂L/∂c' (zeros where c' is unused): with
   * dc_total = dcNext + dh ⊙ o ⊙ (1 − tanh²(c')), writes dc = dc_total ⊙ f [B, H] and the
   * gradient of the pre-activations, dGates [B, 4H] =
   *   [dc_total ⊙ g ⊙ i(1−i) | dc_total ⊙ c ⊙ f(1−f) | dc_total ⊙ i ⊙ (1−g²) | dh ⊙ tanh(c') ⊙ o(1−o)].
   */
  lstmCellBackward(
    act: FloatArray,
    c: FloatArray,
    tanhC: FloatArray,
    dh: FloatArray,
    dcNext: FloatArray,
    batch: number,
    hidden: number,
    dGates: FloatArray,
    dc: FloatArray,
  ): void;

  /**
   * The pointwise part of one GRU step, fused (gate blocks in PyTorch order [r, z, n]):
   *   r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r ⊙ h_n),  h' = n + z ⊙ (h − n),
   * with xProj [B, 3H] = x·W_ihᵀ + b_ih and hProj [B, 3H] = h·W_hhᵀ + b_hh kept apart because r
   * gates only the hidden part of n; h [B, H]. Writes act [B, 3H] = [r | z | n] and hNext [B, H].
   */
  gruCellForward(
    xProj: FloatArray,
    hProj: FloatArray,
    h: FloatArray,
    batch: number,
    hidden: number,
    act: FloatArray,
    hNext: FloatArray,
  ): void;

  /**
   * Gradient of {@link Backend.gruCellForward} from its saved act and its inputs hProj and h,
   * given dhNext = ∂L/∂h' [B, H]: with dz_z = dhNext ⊙ (h − n) ⊙ z(1−z),
   * dz_n = dhNext ⊙ (1 − z) ⊙ (1 − n²) and dz_r = dz_n ⊙ h_n ⊙ r(1−r), writes
   *   dxProj [B, 3H] = [dz_r | dz_z | dz_n],  dhProj [B, 3H] = [dz_r | dz_z | dz_n ⊙ r],
   *   dh [B, H] = dhNext ⊙ z   (the direct path only; the caller adds dhProj · W_hh).
   */
  gruCellBackward(
    act: FloatArray,
    hProj: FloatArray,
    h: FloatArray,
    dhNext: FloatArray,
    batch: number,
    hidden: number,
    dxProj: FloatArray,
    dhProj: FloatArray,
    dh: FloatArray,
  ): void;

  /**
   * Additive (Bahdanau) attention scores, fused: for every batch b, query i and key j,
   *   scores[b, i, j] = Σₐ v[a]·tanh(q[b, i, a] + k[b, j, a])
   * with q [B, Tq, A] (the projected queries W₁q), k [B, Tk, A] (the projected keys W₂k + b)
   * and v [A]; scores [B, Tq, Tk] is overwritten. The [B, Tq, Tk, A] energies are never stored.
   */
  additiveScores(
    q: FloatArray,
    k: FloatArray,
    v: FloatArray,
    batch: number,
    tq: number,
    tk: number,
    dim: number,
    scores: FloatArray,
  ): void;

  /**
   * Gradient of {@link Backend.additiveScores} given g = ∂L/∂scores [B, Tq, Tk], recomputing each
   * energy t = tanh(q[b, i] + k[b, j]): with e = g[b, i, j]·v ⊙ (1 − t²), ADDS
   *   dq[b, i] += Σⱼ e,  dk[b, j] += Σᵢ e,  dv += Σ_{b,i,j} g[b, i, j]·t
   * into dq [B, Tq, A], dk [B, Tk, A] and dv [A] (callers accumulating over steps pass theirs).
   */
  additiveScoresBackward(
    q: FloatArray,
    k: FloatArray,
    v: FloatArray,
    g: FloatArray,
    batch: number,
    tq: number,
    tk: number,
    dim: number,
    dq: FloatArray,
    dk: FloatArray,
    dv: FloatArray,
  ): void;

  /**
   * Layer normalisation (Ba et al. 2016) of x viewed as [rows, cols], each row over its cols:
   *   μ = Σⱼ xⱼ / D,  σ² = Σⱼ (xⱼ − μ)² / D (biased),  r = 1/√(σ² + ε),  y = (x − μ)·r ⊙ γ + β
   * with γ = `weight` and β = `bias` [cols] (null: 1 and 0). Writes y [rows, cols] and the
   * `mean` μ and `rstd` r of every row [rows], which the backward reuses.
   */
  layerNormForward(
    x: FloatArray,
    rows: number,
    cols: number,
    weight: FloatArray | null,
    bias: FloatArray | null,
    eps: number,
    y: FloatArray,
    mean: FloatArray,
    rstd: FloatArray,
  ): void;

  /**
   * Gradient of {@link Backend.layerNormForward} from x, its saved mean and rstd, γ and the
   * output gradient g: with x̂ = (x − μ)·r and ĝ = g ⊙ γ, per row
   *   dx = r·(ĝ − mean(ĝ) − x̂·mean(ĝ ⊙ x̂)),
   * and over all rows dγ = Σ g ⊙ x̂, dβ = Σ g. dx [rows, cols] is overwritten, and so are
   * dWeight and dBias [cols] when given (null: not wanted).
   */
  layerNormBackward(
    x: FloatArray,
    g: FloatArray,
    mean: FloatArray,
    rstd: FloatArray,
    rows: number,
    cols: number,
    weight: FloatArray | null,
    dx: FloatArray,
    dWeight: FloatArray | null,
    dBias: FloatArray | null,
  ): void;

  /**
   * One SGD update of a parameter in place, as torch.optim.SGD 1.13 (single-tensor path):
   *   d = ±g + λ·p
   *   b = d (first step),  b = μ·b + (1 − τ)·d (afterwards)
   *   d = d + μ·b (Nesterov) or b
   *   p = p − η·d
   * `buf` (the momentum buffer b, p's length) is null when μ = 0.
   */
  sgdStep(p: FloatArray, g: FloatArray, buf: FloatArray | null, h: SgdStepParams): void;

  /**
   * One Adam (Kingma & Ba 2015, Algorithm 1) or AdamW (Loshchilov & Hutter 2019) update of a
   * parameter in place, as torch.optim.Adam / AdamW 1.13 (single-tensor path), t = h.step:
   *   g = ±g + λ·p                   (Adam: L2 added to the gradient)
   *   p = p·(1 − η·λ)                (AdamW: decoupled decay, before the update)
   *   m = β₁·m + (1 − β₁)·g,  v = β₂·v + (1 − β₂)·g²
   *   v̂ = max(v̂, v)                  (AMSGrad, when vMax is given; v̂ then replaces v below)
   *   p = p − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
   * m, v and vMax (PyTorch's exp_avg, exp_avg_sq, max_exp_avg_sq) have p's length.
   */
  adamStep(
    p: FloatArray,
    g: FloatArray,
    m: FloatArray,
    v: FloatArray,
    vMax: FloatArray | null,
    h: AdamStepParams,
  ): void;

  /**
   * Σ|x_i|^p accumulated in float64 (p > 0), or max |x_i| when p is Infinity (NaN if any x_i is
   * NaN): the per-tensor part of a gradient norm.
   */
  normPow(x: FloatArray, p: number): number;

  /**
   * Fused attention forward (see {@link AttentionParams}): writes out [bh, tq, dv] and the row
   * log-sum-exp lse [bh, tq] without materialising the tq×tk scores (extra memory O(tq) per
   * head plus fixed-size tiles). With `weights` [bh, tq, tk] (contiguous) it also writes the
   * attention weights exp(s_ij − lse_i), 0 where blocked and in a row with no allowed key.
   */
  attentionForward(p: AttentionParams, out: FloatArray, lse: FloatArray, weights?: FloatArray | null): void;

  /**
   * Gradient of {@link Backend.attentionForward} from its `out` and `lse` and the output gradient
   * `gradOut` [bh, tq, dv], recomputing the attention weights tile by tile (FlashAttention-2,
   * Algorithm 2): with D_i = gradOut_i·out_i and p_ij = exp(s_ij − lse_i),
   *   dv_j = Σ_i p_ij·gradOut_i,  ds_ij = p_ij·(gradOut_i·v_j − D_i),
   *   dq_i = scale·Σ_j ds_ij·k_j,  dk_j = scale·Σ_i ds_ij·q_i.
   * dq [bh, tq, d], dk [bh, tk, d], dv [bh, tk, dv] are overwritten. `weights` (the forward's,
   * [bh, tq, tk]) are read for p_ij instead of recomputing them; `gradWeights` [bh, tq, tk], the
   * gradient reaching the weights themselves (needs `weights`), joins dP:
   *   ds_ij = p_ij·(gradOut_i·v_j + gradWeights_ij − D_i),  D_i = gradOut_i·out_i + Σ_j p_ij·gradWeights_ij.
   */
  attentionBackward(
    p: AttentionParams,
    out: FloatArray,
    lse: FloatArray,
    gradOut: FloatArray,
    dq: FloatArray,
    dk: FloatArray,
    dv: FloatArray,
    weights?: FloatArray | null,
    gradWeights?: FloatArray | null,
  ): void;
}
