/*
 * The row work of the attention kernels (attention.c): the softmax's exp, row maxima, running
 * sums and dot products over a row of a score tile, written as lane-parallel loops so they
 * vectorise at the width the build targets.
 */
#ifndef HEED_ATTENTION_ROWS_H
#define HEED_ATTENTION_ROWS_H

#include <math.h>
#include <stdint.h>

#include "heed.h"

/*
 * exp(x) for the softmax rows, branch-free so the loops calling it vectorise: Cephes' expf
 * (x = n·ln2 + r, |r| ≤ ln2/2, with ln2 split in two for an exact reduction, e^r by a degree-6
 * polynomial, 2ⁿ built in the exponent bits). Within 1 ulp of exp on [−87, 88] (checked on every
 * 7th float); arguments below −87 give exactly 0 (so −inf, a masked score, gives 0); NaN
 * propagates.
 */
static inline float fast_expf(float x) {
  const float xc = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  /* n = round(x / ln2) by the 1.5·2²³ trick (floorf would not vectorise under strict FP). */
  const float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * r * r + r + 1.0f;
  /* 2ⁿ from its exponent bits (a union: C11 type punning that GCC keeps in vector registers). */
  const union {
    int32_t i;
    float f;
  } pow2n = {.i = ((int32_t)n + 127) << 23};
  const float e = y * pow2n.f;
  return x < -87.0f ? 0.0f : (x != x ? x : e);
}

/* Row reductions keep LANES partial results, one per vector lane: the inner loops over u then
 * vectorise at any width with no reassociation of float sums. They are kept
 * rolled (HEED_LANES_LOOP) so the loop vectoriser, not the less reliable straight-line one, sees
 * them. */
#define LANES 16
#define HEED_LANES_LOOP _Pragma("GCC unroll 1") for (int u = 0; u < LANES; u++)

static inline float row_max(const float *x, int64_t n) {
  float acc[LANES];
  for (int u = 0; u < LANES; u++) acc[u] = -INFINITY;
  int64_t c = 0;
  for (; c + LANES <= n; c += LANES)
    HEED_LANES_LOOP acc[u] = x[c + u] > acc[u] ? x[c + u] : acc[u];
  float m = -INFINITY;
  for (; c < n; c++) m = x[c] > m ? x[c] : m;
  for (int u = 0; u < LANES; u++) m = acc[u] > m ? acc[u] : m;
  return m;
}

/* x[c] = exp(x[c] − shift) in place. */
static inline void exp_shift(float *x, int64_t n, float shift) {
  HEED_IVDEP for (int64_t c = 0; c < n; c++) x[c] = fast_expf(x[c] - shift);
}

/* x[c] = exp(x[c] − shift) in place, adding the values into the LANES partial sums `lanes`
 * after scaling those by `corr`: the running softmax denominator of a row stays spread over the
 * lanes until the row is finished, so no tile pays for a horizontal sum. */
static inline void exp_shift_accumulate(float *x, int64_t n, float shift, float *lanes, float corr) {
  HEED_LANES_LOOP lanes[u] *= corr;
  int64_t c = 0;
  for (; c + LANES <= n; c += LANES)
    HEED_LANES_LOOP {
      const float e = fast_expf(x[c + u] - shift);
      x[c + u] = e;
      lanes[u] += e;
    }
  for (; c < n; c++) {
    const float e = fast_expf(x[c] - shift);
    x[c] = e;
    lanes[c % LANES] += e;
  }
}

static inline float lanes_sum(const float *lanes) {
  float sum = 0.0f;
  for (int u = 0; u < LANES; u++) sum += lanes[u];
  return sum;
}

/* Σ a[c]·b[c]. */
static inline float dot(const float *a, const float *b, int64_t n) {
  float acc[LANES] = {0};
  int64_t c = 0;
  for (; c + LANES <= n; c += LANES)
    HEED_LANES_LOOP acc[u] += a[c + u] * b[c + u];
  for (; c < n; c++) acc[c % LANES] += a[c] * b[c];
  return lanes_sum(acc);
}

#endif
