/*
 * Row softmax / log-softmax and their gradients over x viewed as [rows, cols]. Rows are
 * independent, so they are split across threads. Row sums accumulate in double, matching the
 * js backend; a row whose maximum is -Infinity (everything masked) yields zeros for softmax and
 * -Infinity for log-softmax instead of 0/0 = NaN, and a NaN anywhere in a row makes it all NaN.
 */
#include <math.h>

#include "heed.h"

typedef struct {
  const float *x, *g;
  float *out;
  int64_t cols;
  int log;
} softmax_ctx;

/* The row maximum, NaN if any element is NaN (a plain `>` scan would skip NaNs). */
static float row_max(const float *x, int64_t n) {
  float m = -INFINITY;
  int nan = 0;
  for (int64_t j = 0; j < n; j++) {
    const float v = x[j];
    m = v > m ? v : m;
    nan |= isnan(v);
  }
  return nan ? NAN : m;
}

static void softmax_rows(void *arg, int64_t lo, int64_t hi) {
  const softmax_ctx *C = arg;
  const int64_t n = C->cols;
  for (int64_t r = lo; r < hi; r++) {
    const float *x = C->x + r * n;
    float *o = C->out + r * n;
    const float m = row_max(x, n);
    if (m == -INFINITY) {
      const float fillv = C->log ? -INFINITY : 0.0f;
      for (int64_t j = 0; j < n; j++) o[j] = fillv;
      continue;
    }
    double sum = 0.0;
    if (C->log) {
      for (int64_t j = 0; j < n; j++) sum += expf(x[j] - m);
      const double lse = (double)m + log(sum);
      for (int64_t j = 0; j < n; j++) o[j] = (float)((double)x[j] - lse);
    } else {
      /* o may alias x: each x[j] is read before o[j] is written. */
      for (int64_t j = 0; j < n; j++) {
        const float e = expf(x[j] - m);
        o[j] = e;
        sum += e;
      }
      const double inv = 1.0 / sum;
      for (int64_t j = 0; j < n; j++) o[j] = (float)((double)o[j] * inv);
    }
  }
}

static void softmax_backward_rows(void *arg, int64_t lo, int64_t hi) {
  const softmax_ctx *C = arg;
  const int64_t n = C->cols;
  for (int64_t r = lo; r < hi; r++) {
    const float *y = C->x + r * n, *g = C->g + r * n;
    float *o = C->out + r * n;
    double dot = 0.0;
    if (C->log) {
      /* d log-softmax: g − softmax · Σg, with softmax = exp(y). */
      for (int64_t j = 0; j < n; j++) dot += g[j];
      for (int64_t j = 0; j < n; j++) o[j] = (float)((double)g[j] - (double)expf(y[j]) * dot);
    } else {
      for (int64_t j = 0; j < n; j++) dot += (double)g[j] * (double)y[j];
      for (int64_t j = 0; j < n; j++) o[j] = (float)((double)y[j] * ((double)g[j] - dot));
    }
  }
}

void heed_softmax(const float *x, int64_t rows, int64_t cols, float *out, int log) {
  softmax_ctx C = {x, NULL, out, cols, log};
  /* expf dominates: weight the element count so mid-sized attention maps go parallel. */
  heed_parallel_for(rows, rows * cols * 16, softmax_rows, &C);
}

void heed_softmax_backward(const float *y, const float *g, int64_t rows, int64_t cols, float *out,
                           int log) {
  softmax_ctx C = {y, g, out, cols, log};
  heed_parallel_for(rows, rows * cols * (log ? 16 : 2), softmax_backward_rows, &C);
}
