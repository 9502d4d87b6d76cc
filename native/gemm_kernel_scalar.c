/*
 * Portable C micro-kernels, used when the target has neither AVX-512 nor AVX2+FMA (for example
 * other architectures). The fixed 4×8 tile lets the compiler keep accumulators in registers and
 * auto-vectorise the inner j loop.
 */
#include "gemm_kernel.h"

#if !defined(__AVX512F__) && !(defined(__AVX2__) && defined(__FMA__))

void heed_gemm_micro(int64_t kc, const float *Ap, const float *Bp, float *C, int64_t ldc,
                     float alpha, float beta, int mr, int nr) {
  float acc[HEED_MR][HEED_NR] = {{0}};
  for (int64_t p = 0; p < kc; p++) {
    for (int r = 0; r < HEED_MR; r++) {
      const float av = Ap[r];
      for (int j = 0; j < HEED_NR; j++) acc[r][j] += av * Bp[j];
    }
    Ap += HEED_MR;
    Bp += HEED_NR;
  }
  for (int r = 0; r < mr; r++)
    for (int j = 0; j < nr; j++) {
      float v = alpha * acc[r][j];
      C[r * ldc + j] = beta == 0.0f ? v : v + beta * C[r * ldc + j];
    }
}

void heed_gemm_small(int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t a_rs,
                     int64_t a_cs, const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
  for (int64_t i = 0; i < m; i++) {
    float *ci = c + i * ldc;
    /* Scale (or clear) the row first, then accumulate alpha·a_ip·B_p into it row by row. */
    if (beta == 0.0f)
      for (int64_t j = 0; j < n; j++) ci[j] = 0.0f;
    else if (beta != 1.0f)
      for (int64_t j = 0; j < n; j++) ci[j] *= beta;
    for (int64_t p = 0; p < k; p++) {
      const float av = alpha * a[i * a_rs + p * a_cs];
      const float *bp = b + p * ldb;
      for (int64_t j = 0; j < n; j++) ci[j] += av * bp[j];
    }
  }
}

void heed_gemm_transpose_small(int64_t n, int64_t k, const float *b, float *bt) {
  /* Contiguous writes, strided reads: all of B is a few KB, so the reads hit L1. */
  for (int64_t p = 0; p < k; p++)
    for (int64_t j = 0; j < n; j++) bt[p * n + j] = b[j * k + p];
}

#endif
