/*
 * Optimizer updates and the gradient-norm reduction (the equations are on the Backend members
 * in src/backend/backend.ts; the js loops in src/backend/js/optim.ts are the reference). An
 * update is one in-place pass over one parameter, HV_WIDTH lanes at a time in float32 with the
 * operation order of PyTorch 1.13's single-tensor float32 path, split across threads for large
 * parameters. The scalars that depend only on the step (1 − β, η/(1 − β₁ᵗ), √(1 − β₂ᵗ), ...)
 * arrive precomputed in double and are rounded to float once.
 */
#include <math.h>

#include "heed.h"
#include "vmath.h"

/* Work units per element: an update streams 16–28 bytes per element and costs ~0.3–1 ns, so
 * parameters go parallel from half the threshold: 32,768 elements by default (heed.h). */
#define STEP_COST 2

/* Calls BODY(i, n) for the n ≤ HV_WIDTH elements from i, over [lo, hi). */
#define FOR_VECTORS(lo, hi, BODY)                                             \
  for (int64_t i_ = (lo); i_ < (hi); i_ += HV_WIDTH)                          \
    BODY(i_, (hi) - i_ < HV_WIDTH ? (int)((hi) - i_) : HV_WIDTH);

/* ---- SGD ----------------------------------------------------------------------------------- */

typedef struct {
  float *p, *buf;
  const float *g;
  float sign, lr, momentum, one_minus_dampening, weight_decay;
  int nesterov, first;
} sgd_ctx;

static inline void sgd_chunk(const sgd_ctx *C, int64_t i, int n) {
  const hv_f p = hv_load_n(C->p + i, n);
  /* d = ±g + λ·p */
  hv_f d = hv_mul(hv_set1(C->sign), hv_load_n(C->g + i, n));
  if (C->weight_decay != 0.0f) d = hv_fma(hv_set1(C->weight_decay), p, d);
  if (C->buf != NULL) {
    /* b = d (first step), μ·b + (1 − τ)·d afterwards */
    const hv_f b = C->first ? d
                            : hv_fma(hv_set1(C->momentum), hv_load_n(C->buf + i, n),
                                     hv_mul(hv_set1(C->one_minus_dampening), d));
    hv_store_n(C->buf + i, b, n);
    d = C->nesterov ? hv_fma(hv_set1(C->momentum), b, d) : b;
  }
  hv_store_n(C->p + i, hv_fma(hv_set1(-C->lr), d, p), n);
}

static void sgd_range(void *arg, int64_t lo, int64_t hi) {
  const sgd_ctx *C = arg;
#define SGD_BODY(i, n) sgd_chunk(C, i, n)
  FOR_VECTORS(lo, hi, SGD_BODY)
#undef SGD_BODY
}

void heed_sgd_step(float *p, const float *g, float *buf, int64_t n, const heed_sgd_params *h) {
  sgd_ctx C = {p, buf, g, (float)h->sign, (float)h->lr, (float)h->momentum,
               (float)(1.0 - h->dampening), (float)h->weight_decay, h->nesterov, h->first_step};
  heed_parallel_for(n, n * STEP_COST, sgd_range, &C);
}

/* ---- Adam / AdamW -------------------------------------------------------------------------- */

typedef struct {
  float *p, *m, *v, *vmax;
  const float *g;
  float sign, l2, decay, beta1, one_minus_beta1, beta2, one_minus_beta2, step_size, bc2_sqrt, eps;
} adam_ctx;

static inline void adam_chunk(const adam_ctx *C, int64_t i, int n) {
  hv_f p = hv_load_n(C->p + i, n);
  /* Adam: g = ±g + λ·p;  AdamW: p = p·(1 − η·λ) (decay is 1 and l2 is 0 otherwise) */
  hv_f g = hv_mul(hv_set1(C->sign), hv_load_n(C->g + i, n));
  if (C->l2 != 0.0f) g = hv_fma(hv_set1(C->l2), p, g);
  if (C->decay != 1.0f) p = hv_mul(p, hv_set1(C->decay));
  /* m = β₁·m + (1 − β₁)·g;  v = β₂·v + (1 − β₂)·g² */
  const hv_f g1 = hv_mul(hv_set1(C->one_minus_beta1), g);
  const hv_f m = hv_fma(hv_set1(C->beta1), hv_load_n(C->m + i, n), g1);
  const hv_f g2 = hv_mul(hv_mul(hv_set1(C->one_minus_beta2), g), g);
  hv_f v = hv_fma(hv_set1(C->beta2), hv_load_n(C->v + i, n), g2);
  hv_store_n(C->m + i, m, n);
  hv_store_n(C->v + i, v, n);
  if (C->vmax != NULL) {
    /* v̂ = v̂ ≥ v ? v̂ : v, as the js kernel (maxps yields its second operand on NaN). */
    v = hv_max(hv_load_n(C->vmax + i, n), v);
    hv_store_n(C->vmax + i, v, n);
  }
  /* p = p − step_size · m / (√v / √(1 − β₂ᵗ) + ε) */
  const hv_f denom = hv_add(hv_div(hv_sqrt(v), hv_set1(C->bc2_sqrt)), hv_set1(C->eps));
  hv_store_n(C->p + i, hv_fma(hv_set1(-C->step_size), hv_div(m, denom), p), n);
}

static void adam_range(void *arg, int64_t lo, int64_t hi) {
  const adam_ctx *C = arg;
#define ADAM_BODY(i, n) adam_chunk(C, i, n)
  FOR_VECTORS(lo, hi, ADAM_BODY)
#undef ADAM_BODY
}

void heed_adam_step(float *p, const float *g, float *m, float *v, float *vmax, int64_t n,
                    const heed_adam_params *h) {
  const double l2 = h->decoupled ? 0.0 : h->weight_decay;
  const double decay = h->decoupled ? 1.0 - h->lr * h->weight_decay : 1.0;
  adam_ctx C = {p,
                m,
                v,
                vmax,
                g,
                (float)h->sign,
                (float)l2,
                (float)decay,
                (float)h->beta1,
                (float)(1.0 - h->beta1),
                (float)h->beta2,
                (float)(1.0 - h->beta2),
                (float)(h->lr / (1.0 - pow(h->beta1, h->step))),
                (float)sqrt(1.0 - pow(h->beta2, h->step)),
                (float)h->eps};
  heed_parallel_for(n, n * STEP_COST, adam_range, &C);
}

/* ---- Σ|x|^p -------------------------------------------------------------------------------- */

/* Sums are cut into at most MAX_PARTS fixed pieces whatever the thread count, each summed in
 * double, then added in order: the result does not depend on how many threads ran. */
#define MAX_PARTS 64
#define MIN_PART ((int64_t)1 << 15)

typedef struct {
  const float *x;
  int64_t n, part;
  double p;
  double sums[MAX_PARTS];
} norm_ctx;

static double part_sum(const float *x, int64_t n, double p) {
  hv_dsum s = hv_dsum_zero();
  int64_t i = 0;
  if (p == 2.0) {
    for (; i + HV_WIDTH <= n; i += HV_WIDTH) s = hv_dsum_add_sq(s, hv_load(x + i));
    if (i < n) s = hv_dsum_add_sq(s, hv_load_part(x + i, (int)(n - i)));
    return hv_dsum_total(s);
  }
  if (p == 1.0) {
    for (; i + HV_WIDTH <= n; i += HV_WIDTH) s = hv_dsum_add(s, hv_abs(hv_load(x + i)));
    if (i < n) s = hv_dsum_add(s, hv_abs(hv_load_part(x + i, (int)(n - i))));
    return hv_dsum_total(s);
  }
  double t = 0.0;
  for (; i < n; i++) t += pow(fabs((double)x[i]), p);
  return t;
}

static void norm_parts(void *arg, int64_t lo, int64_t hi) {
  norm_ctx *C = arg;
  for (int64_t k = lo; k < hi; k++) {
    const int64_t a = k * C->part, b = a + C->part < C->n ? a + C->part : C->n;
    C->sums[k] = part_sum(C->x + a, b - a, C->p);
  }
}

/* max |x_i|, NaN if any x_i is NaN. */
static double max_abs(const float *x, int64_t n) {
  float m = 0.0f;
  int nan = 0;
  for (int64_t i = 0; i < n; i++) {
    const float a = fabsf(x[i]);
    m = a > m ? a : m;
    nan |= isnan(a);
  }
  return nan ? NAN : m;
}

double heed_norm_pow(const float *x, int64_t n, double p) {
  if (isinf(p)) return max_abs(x, n);
  norm_ctx C = {.x = x, .n = n, .p = p};
  int64_t parts = (n + MIN_PART - 1) / MIN_PART;
  if (parts > MAX_PARTS) parts = MAX_PARTS;
  if (parts < 1) parts = 1;
  C.part = (n + parts - 1) / parts;
  /* pow() for a general p costs ~20 ns an element: weight it so it threads sooner. */
  heed_parallel_for(parts, n * (p == 1.0 || p == 2.0 ? 1 : 16), norm_parts, &C);
  double total = 0.0;
  for (int64_t k = 0; k < parts; k++) total += C.sums[k];
  return total;
}
