/*
 * Row softmax / log-softmax and their gradients over x viewed as [rows, cols]. Rows are
 * independent, so they are split across threads; within a row every pass runs HV_WIDTH lanes at
 * a time (vmath.h), with the vectorised exp and one masked partial vector at the row's end.
 *
 *   softmax:      m = max_j x_j,  e_j = exp(x_j − m),  y_j = e_j / Σe
 *   log-softmax:  y_j = (x_j − m) − log Σe    (x_j − m is exact near the maximum, so the
 *                                              largest outputs keep their relative accuracy)
 *
 * Row sums accumulate per lane in double (hv_dsum), as the js backend's do, so the sum adds no
 * error of its own however long the row. A row whose maximum is −Infinity (everything masked)
 * yields zeros for softmax and −Infinity for log-softmax instead of 0/0 = NaN, and a NaN
 * anywhere in a row makes it all NaN (through its exp in the sum, or, in a row otherwise all
 * −Infinity, by the scan in row_max).
 */
#include <math.h>

#include "heed.h"
#include "vmath.h"

typedef struct {
  const float *x, *g;
  float *out;
  int64_t cols;
  int log;
} softmax_ctx;

/* Work units per element for heed_parallel_for: the forward's exp and three passes cost about
 * 1 ns per element on one core, so rows go parallel from a quarter of
 * the threshold: 16,384 elements by default (heed.h). */
#define FWD_COST 4
#define BWD_COST 2

/* The row maximum over its non-NaN elements, or NaN when that is −∞ and the row holds a NaN
 * (a row with a NaN and a finite element comes out all NaN through its sum anyway). */
static float row_max(const float *x, int64_t n) {
  hv_f mv = hv_set1(-INFINITY);
  int64_t j = 0;
  /* maxps returns its second operand when either is NaN: x first, so NaNs are skipped. */
  for (; j + HV_WIDTH <= n; j += HV_WIDTH) mv = hv_max(hv_load(x + j), mv);
  float lanes[HV_WIDTH];
  hv_store(lanes, mv);
  float m = -INFINITY;
  for (int l = 0; l < HV_WIDTH; l++) m = lanes[l] > m ? lanes[l] : m;
  for (; j < n; j++) m = x[j] > m ? x[j] : m;
  if (m == -INFINITY)
    for (j = 0; j < n; j++)
      if (isnan(x[j])) return NAN;
  return m;
}

static void softmax_rows(void *arg, int64_t lo, int64_t hi) {
  const softmax_ctx *C = arg;
  const int64_t n = C->cols;
  const int64_t full = n - n % HV_WIDTH;
  const int rest = (int)(n - full);
  for (int64_t r = lo; r < hi; r++) {
    const float *x = C->x + r * n;
    float *o = C->out + r * n;
    const float m = row_max(x, n);
    if (m == -INFINITY) {
      const float fillv = C->log ? -INFINITY : 0.0f;
      for (int64_t j = 0; j < n; j++) o[j] = fillv;
      continue;
    }
    const hv_f vm = hv_set1(m);
    hv_dsum sum = hv_dsum_zero();
    if (C->log) {
      for (int64_t j = 0; j < full; j += HV_WIDTH)
        sum = hv_dsum_add(sum, hv_exp(hv_sub(hv_load(x + j), vm)));
      if (rest) {
        const hv_f e = hv_exp(hv_sub(hv_load_part(x + full, rest), vm));
        sum = hv_dsum_add(sum, hv_first_n(e, rest)); /* exp(0 − m) in the inactive lanes */
      }
      const hv_f ls = hv_set1((float)log(hv_dsum_total(sum)));
      for (int64_t j = 0; j < full; j += HV_WIDTH)
        hv_store(o + j, hv_sub(hv_sub(hv_load(x + j), vm), ls));
      if (rest) hv_store_part(o + full, hv_sub(hv_sub(hv_load_part(x + full, rest), vm), ls), rest);
    } else {
      /* o may alias x: each x[j] is read before o[j] is written. */
      for (int64_t j = 0; j < full; j += HV_WIDTH) {
        const hv_f e = hv_exp(hv_sub(hv_load(x + j), vm));
        hv_store(o + j, e);
        sum = hv_dsum_add(sum, e);
      }
      if (rest) {
        const hv_f e = hv_exp(hv_sub(hv_load_part(x + full, rest), vm));
        hv_store_part(o + full, e, rest);
        sum = hv_dsum_add(sum, hv_first_n(e, rest));
      }
      const hv_f inv = hv_set1((float)(1.0 / hv_dsum_total(sum)));
      for (int64_t j = 0; j < full; j += HV_WIDTH) hv_store(o + j, hv_mul(hv_load(o + j), inv));
      if (rest) hv_store_part(o + full, hv_mul(hv_load_part(o + full, rest), inv), rest);
    }
  }
}

/* softmax:     out = y ⊙ (g − Σ g⊙y)
 * log-softmax: out = g − exp(y) · Σ g   (exp(y) is the softmax) */
static void softmax_backward_rows(void *arg, int64_t lo, int64_t hi) {
  const softmax_ctx *C = arg;
  const int64_t n = C->cols;
  const int64_t full = n - n % HV_WIDTH;
  const int rest = (int)(n - full);
  for (int64_t r = lo; r < hi; r++) {
    const float *y = C->x + r * n, *g = C->g + r * n;
    float *o = C->out + r * n;
    hv_dsum sum = hv_dsum_zero();
    /* Partial loads read 0 in their inactive lanes, which add nothing to either sum. */
    if (C->log) {
      for (int64_t j = 0; j < full; j += HV_WIDTH) sum = hv_dsum_add(sum, hv_load(g + j));
      if (rest) sum = hv_dsum_add(sum, hv_load_part(g + full, rest));
      const hv_f neg_dot = hv_set1(-(float)hv_dsum_total(sum));
      for (int64_t j = 0; j < full; j += HV_WIDTH)
        hv_store(o + j, hv_fma(hv_exp(hv_load(y + j)), neg_dot, hv_load(g + j)));
      if (rest) {
        const hv_f p = hv_exp(hv_load_part(y + full, rest));
        hv_store_part(o + full, hv_fma(p, neg_dot, hv_load_part(g + full, rest)), rest);
      }
    } else {
      for (int64_t j = 0; j < full; j += HV_WIDTH)
        sum = hv_dsum_add(sum, hv_mul(hv_load(g + j), hv_load(y + j)));
      if (rest)
        sum = hv_dsum_add(sum, hv_mul(hv_load_part(g + full, rest), hv_load_part(y + full, rest)));
      const hv_f dot = hv_set1((float)hv_dsum_total(sum));
      for (int64_t j = 0; j < full; j += HV_WIDTH)
        hv_store(o + j, hv_mul(hv_load(y + j), hv_sub(hv_load(g + j), dot)));
      if (rest) {
        const hv_f gd = hv_sub(hv_load_part(g + full, rest), dot);
        hv_store_part(o + full, hv_mul(hv_load_part(y + full, rest), gd), rest);
      }
    }
  }
}

void heed_softmax(const float *x, int64_t rows, int64_t cols, float *out, int log) {
  softmax_ctx C = {x, NULL, out, cols, log};
  heed_parallel_for(rows, rows * cols * FWD_COST, softmax_rows, &C);
}

void heed_softmax_backward(const float *y, const float *g, int64_t rows, int64_t cols, float *out,
                           int log) {
  softmax_ctx C = {y, g, out, cols, log};
  heed_parallel_for(rows, rows * cols * (log ? 2 * BWD_COST : BWD_COST), softmax_backward_rows, &C);
}
