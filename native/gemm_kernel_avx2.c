/*
 * AVX2/FMA micro-kernels for CPUs without AVX-512: a 6×16 register tile (12 ymm accumulators)
 * for the packed GEMM and a 4×8 tile for small unpacked problems.
 */
#include "gemm_kernel.h"

#if !defined(__AVX512F__) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#define HEED_ROWS6(X) X(0) X(1) X(2) X(3) X(4) X(5)

/* Edge tiles go through a stack tile so the vector path never touches memory past C's edge. */
static void store_edge(const float *tile, float *C, int64_t ldc, float alpha, float beta, int mr,
                       int nr) {
  for (int r = 0; r < mr; r++)
    for (int j = 0; j < nr; j++) {
      float v = alpha * tile[r * HEED_NR + j];
      C[r * ldc + j] = beta == 0.0f ? v : v + beta * C[r * ldc + j];
    }
}

void heed_gemm_micro(int64_t kc, const float *Ap, const float *Bp, float *C, int64_t ldc,
                     float alpha, float beta, int mr, int nr) {
#define DECL(r) __m256 c##r##_0 = _mm256_setzero_ps(), c##r##_1 = _mm256_setzero_ps();
  HEED_ROWS6(DECL)
#undef DECL
  for (int64_t p = 0; p < kc; p++) {
    const __m256 b0 = _mm256_load_ps(Bp);
    const __m256 b1 = _mm256_load_ps(Bp + 8);
#define STEP(r)                                   \
  {                                               \
    const __m256 av = _mm256_broadcast_ss(Ap + r); \
    c##r##_0 = _mm256_fmadd_ps(av, b0, c##r##_0); \
    c##r##_1 = _mm256_fmadd_ps(av, b1, c##r##_1); \
  }
    HEED_ROWS6(STEP)
#undef STEP
    Ap += HEED_MR;
    Bp += HEED_NR;
  }
  if (mr < HEED_MR || nr < HEED_NR) {
    float tile[HEED_MR * HEED_NR] __attribute__((aligned(32)));
#define SPILL(r)                                   \
  _mm256_store_ps(tile + (r) * HEED_NR, c##r##_0); \
  _mm256_store_ps(tile + (r) * HEED_NR + 8, c##r##_1);
    HEED_ROWS6(SPILL)
#undef SPILL
    store_edge(tile, C, ldc, alpha, beta, mr, nr);
    return;
  }
  const __m256 va = _mm256_set1_ps(alpha);
  if (beta == 0.0f) {
#define STORE(r)                                                       \
  _mm256_storeu_ps(C + (r) * ldc, _mm256_mul_ps(va, c##r##_0));        \
  _mm256_storeu_ps(C + (r) * ldc + 8, _mm256_mul_ps(va, c##r##_1));
    HEED_ROWS6(STORE)
#undef STORE
  } else {
    const __m256 vb = _mm256_set1_ps(beta);
#define STORE(r)                                                                                \
  _mm256_storeu_ps(C + (r) * ldc,                                                               \
                   _mm256_fmadd_ps(va, c##r##_0, _mm256_mul_ps(vb, _mm256_loadu_ps(C + (r) * ldc)))); \
  _mm256_storeu_ps(C + (r) * ldc + 8,                                                           \
                   _mm256_fmadd_ps(va, c##r##_1,                                                \
                                   _mm256_mul_ps(vb, _mm256_loadu_ps(C + (r) * ldc + 8))));
    HEED_ROWS6(STORE)
#undef STORE
  }
}

static inline void store8(float *c, __m256 acc, __m256 va, float beta) {
  __m256 r = _mm256_mul_ps(va, acc);
  if (beta != 0.0f) r = _mm256_fmadd_ps(_mm256_set1_ps(beta), _mm256_loadu_ps(c), r);
  _mm256_storeu_ps(c, r);
}

void heed_gemm_small(int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t a_rs,
                     int64_t a_cs, const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
  const __m256 va = _mm256_set1_ps(alpha);
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    int64_t i = 0;
    for (; i + 4 <= m; i += 4) {
      const float *a0 = a + i * a_rs;
      __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
      for (int64_t p = 0; p < k; p++) {
        const __m256 bv = _mm256_loadu_ps(b + p * ldb + j);
        const float *ap = a0 + p * a_cs;
        s0 = _mm256_fmadd_ps(_mm256_set1_ps(ap[0]), bv, s0);
        s1 = _mm256_fmadd_ps(_mm256_set1_ps(ap[a_rs]), bv, s1);
        s2 = _mm256_fmadd_ps(_mm256_set1_ps(ap[2 * a_rs]), bv, s2);
        s3 = _mm256_fmadd_ps(_mm256_set1_ps(ap[3 * a_rs]), bv, s3);
      }
      float *cr = c + i * ldc + j;
      store8(cr, s0, va, beta);
      store8(cr + ldc, s1, va, beta);
      store8(cr + 2 * ldc, s2, va, beta);
      store8(cr + 3 * ldc, s3, va, beta);
    }
    for (; i < m; i++) {
      __m256 s0 = _mm256_setzero_ps();
      for (int64_t p = 0; p < k; p++)
        s0 = _mm256_fmadd_ps(_mm256_set1_ps(a[i * a_rs + p * a_cs]), _mm256_loadu_ps(b + p * ldb + j),
                             s0);
      store8(c + i * ldc + j, s0, va, beta);
    }
  }
  /* Fewer than 8 columns left: plain loops. */
  for (int64_t i = 0; i < m && j < n; i++)
    for (int64_t jj = j; jj < n; jj++) {
      float s = 0.0f;
      for (int64_t p = 0; p < k; p++) s += a[i * a_rs + p * a_cs] * b[p * ldb + jj];
      float v = alpha * s;
      c[i * ldc + jj] = beta == 0.0f ? v : v + beta * c[i * ldc + jj];
    }
}

void heed_gemm_transpose_small(int64_t n, int64_t k, const float *b, float *bt) {
  /* Contiguous writes, strided reads: all of B is a few KB, so the reads hit L1. */
  for (int64_t p = 0; p < k; p++)
    for (int64_t j = 0; j < n; j++) bt[p * n + j] = b[j * k + p];
}

#endif
