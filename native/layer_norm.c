/*
 * Layer normalisation over the rows of x [rows, cols] and its gradient (the equations are on
 * Backend.layerNormForward / layerNormBackward in src/backend/backend.ts; the js kernels in
 * src/backend/js/layer-norm.ts are the reference, and the composition of ops in
 * src/nn/layernorm.ts what both must equal).
 *
 * Forward, threads over rows: μ and σ² as per-lane double sums (σ² two-pass, from x − μ, so
 * no cancellation), then y = (x − μ)·r ⊙ γ + β, with x − μ formed against μ as a pair of
 * floats (mu + mu_lo): a float μ alone would cost ulp(μ)/σ of accuracy in every output of a
 * row whose mean dwarfs its spread. Backward: dx row by row (threads over rows) from mu_lo,
 * recomputed from x and the saved μ, and the two row sums Σĝ and Σĝ·x̂; then dγ and dβ column
 * block by column block (threads over blocks), each a per-lane double sum over all rows, so the
 * result does not depend on the thread count.
 */
#include <math.h>
#include <stdlib.h>

#include "heed.h"
#include "vmath.h"

/* Work units per element for heed_parallel_for (three or four streaming passes). */
#define FWD_COST 3
#define BWD_COST 3

typedef struct {
  const float *x, *g, *weight, *bias, *mean_in, *rstd_in;
  float *y, *mean, *rstd, *dx, *dweight, *dbias, *mean_lo;
  int64_t rows, cols;
  float eps;
} ln_ctx;

/* Calls BODY(j, n) for the n ≤ HV_WIDTH columns from j, over [0, cols). */
#define FOR_COLS(cols, BODY)                                  \
  for (int64_t j_ = 0; j_ < (cols); j_ += HV_WIDTH)           \
    BODY(j_, (cols) - j_ < HV_WIDTH ? (int)((cols) - j_) : HV_WIDTH);

static void forward_rows(void *arg, int64_t lo, int64_t hi) {
  const ln_ctx *C = arg;
  const int64_t D = C->cols;
  const hv_f one = hv_set1(1.0f), zero = hv_set1(0.0f);
  for (int64_t r = lo; r < hi; r++) {
    const float *x = C->x + r * D;
    float *y = C->y + r * D;
    hv_dsum s = hv_dsum_zero();
#define SUM(j, n) s = hv_dsum_add(s, hv_load_n(x + (j), n));
    FOR_COLS(D, SUM)
#undef SUM
    /* μ as the float pair mu + mu_lo: x − mu is exact for x near μ, so (x − mu) − mu_lo keeps the
     * digits of x − μ even when |μ| dwarfs the spread of the row. */
    const double mu_d = hv_dsum_total(s) / (double)D;
    const float mu = (float)mu_d;
    const hv_f vmu = hv_set1(mu), vmu_lo = hv_set1((float)(mu_d - (double)mu));
    hv_dsum ss = hv_dsum_zero();
#define CENTRED(j, n) hv_sub(hv_sub(hv_load_n(x + (j), n), vmu), vmu_lo)
#define SUMSQ(j, n) ss = hv_dsum_add_sq(ss, hv_first_n(CENTRED(j, n), n));
    FOR_COLS(D, SUMSQ)
#undef SUMSQ
    const float rs = (float)(1.0 / sqrt(hv_dsum_total(ss) / (double)D + (double)C->eps));
    C->mean[r] = mu;
    C->rstd[r] = rs;
    const hv_f vrs = hv_set1(rs);
#define NORM(j, n)                                                               \
  {                                                                              \
    const hv_f xh = hv_mul(CENTRED(j, n), vrs);                                  \
    const hv_f w = C->weight != NULL ? hv_load_n(C->weight + (j), n) : one;      \
    const hv_f b = C->bias != NULL ? hv_load_n(C->bias + (j), n) : zero;         \
    hv_store_n(y + (j), hv_fma(xh, w, b), n);                                    \
  }
    FOR_COLS(D, NORM)
#undef NORM
#undef CENTRED
  }
}

/* dx = r·(ĝ − Σĝ/D − x̂·Σ(ĝ·x̂)/D), ĝ = g ⊙ γ. Inactive lanes of a partial vector load g = 0,
 * so they add nothing to either sum. */
static void backward_rows(void *arg, int64_t lo, int64_t hi) {
  const ln_ctx *C = arg;
  const int64_t D = C->cols;
  const hv_f one = hv_set1(1.0f);
  for (int64_t r = lo; r < hi; r++) {
    const float *x = C->x + r * D, *g = C->g + r * D;
    float *dx = C->dx + r * D;
    /* The low part of μ that the forward subtracted too (see forward_rows). */
    hv_dsum s = hv_dsum_zero();
#define SUM(j, n) s = hv_dsum_add(s, hv_load_n(x + (j), n));
    FOR_COLS(D, SUM)
#undef SUM
    const float mu_lo = (float)(hv_dsum_total(s) / (double)D - (double)C->mean_in[r]);
    C->mean_lo[r] = mu_lo;
    const hv_f vmu = hv_set1(C->mean_in[r]), vmu_lo = hv_set1(mu_lo), vrs = hv_set1(C->rstd_in[r]);
    hv_dsum sg = hv_dsum_zero(), sgx = hv_dsum_zero();
#define XHAT(j, n) hv_mul(hv_sub(hv_sub(hv_load_n(x + (j), n), vmu), vmu_lo), vrs)
#define SUMS(j, n)                                                               \
  {                                                                              \
    const hv_f xh = XHAT(j, n);                                                  \
    const hv_f w = C->weight != NULL ? hv_load_n(C->weight + (j), n) : one;      \
    const hv_f gh = hv_mul(hv_load_n(g + (j), n), w);                            \
    sg = hv_dsum_add(sg, gh);                                                    \
    sgx = hv_dsum_add(sgx, hv_mul(gh, xh));                                      \
  }
    FOR_COLS(D, SUMS)
#undef SUMS
    const hv_f a = hv_set1((float)(hv_dsum_total(sg) / (double)D));
    const hv_f b = hv_set1((float)(hv_dsum_total(sgx) / (double)D));
#define DX(j, n)                                                                 \
  {                                                                              \
    const hv_f xh = XHAT(j, n);                                                  \
    const hv_f w = C->weight != NULL ? hv_load_n(C->weight + (j), n) : one;      \
    const hv_f gh = hv_mul(hv_load_n(g + (j), n), w);                            \
    /* ĝ − a − x̂·b, as (ĝ − a) − x̂·b with one rounding for the product and sum */ \
    hv_store_n(dx + (j), hv_mul(vrs, hv_fma(hv_sub(hv_set1(0.0f), xh), b, hv_sub(gh, a))), n); \
  }
    FOR_COLS(D, DX)
#undef DX
#undef XHAT
  }
}

/* dγ_j = Σ_r g_rj·x̂_rj and dβ_j = Σ_r g_rj over the column blocks [lo, hi) of HV_WIDTH. */
static void backward_cols(void *arg, int64_t lo, int64_t hi) {
  const ln_ctx *C = arg;
  const int64_t D = C->cols;
  for (int64_t blk = lo; blk < hi; blk++) {
    const int64_t j = blk * HV_WIDTH;
    const int n = D - j < HV_WIDTH ? (int)(D - j) : HV_WIDTH;
    hv_dsum sw = hv_dsum_zero(), sb = hv_dsum_zero();
    for (int64_t r = 0; r < C->rows; r++) {
      const hv_f gv = hv_load_n(C->g + r * D + j, n);
      if (C->dweight != NULL) {
        const hv_f xc = hv_sub(hv_load_n(C->x + r * D + j, n), hv_set1(C->mean_in[r]));
        const hv_f xh = hv_mul(hv_sub(xc, hv_set1(C->mean_lo[r])), hv_set1(C->rstd_in[r]));
        sw = hv_dsum_add(sw, hv_mul(gv, xh));
      }
      if (C->dbias != NULL) sb = hv_dsum_add(sb, gv);
    }
    if (C->dweight != NULL) hv_store_n(C->dweight + j, hv_dsum_lanes(sw), n);
    if (C->dbias != NULL) hv_store_n(C->dbias + j, hv_dsum_lanes(sb), n);
  }
}

void heed_layer_norm_forward(const float *x, int64_t rows, int64_t cols, const float *weight,
                             const float *bias, float eps, float *y, float *mean, float *rstd) {
  if (cols == 0) return;
  ln_ctx C = {.x = x, .weight = weight, .bias = bias, .y = y, .mean = mean, .rstd = rstd,
              .rows = rows, .cols = cols, .eps = eps};
  heed_parallel_for(rows, rows * cols * FWD_COST, forward_rows, &C);
}

int heed_layer_norm_backward(const float *x, const float *g, const float *mean, const float *rstd,
                             int64_t rows, int64_t cols, const float *weight, float *dx,
                             float *dweight, float *dbias) {
  ln_ctx C = {.x = x, .g = g, .weight = weight, .mean_in = mean, .rstd_in = rstd, .dx = dx,
              .dweight = dweight, .dbias = dbias, .rows = rows, .cols = cols};
  if (cols == 0) return HEED_OK;
  C.mean_lo = malloc((size_t)(rows > 0 ? rows : 1) * sizeof(float));
  if (C.mean_lo == NULL) return HEED_ENOMEM;
  heed_parallel_for(rows, rows * cols * BWD_COST, backward_rows, &C);
  if (dweight != NULL || dbias != NULL) {
    const int64_t blocks = (cols + HV_WIDTH - 1) / HV_WIDTH;
    heed_parallel_for(blocks, rows * cols, backward_cols, &C);
  }
  free(C.mean_lo);
  return HEED_OK;
}
