/*
 * AVX-512 micro-kernels: a 14×32 register tile for the packed GEMM and a 4×16 masked tile for
 * small unpacked problems. On Zen 4 a zmm FMA issues once per cycle with 4-cycle latency; the 28
 * independent accumulators hide that latency many times over.
 */
#include "gemm_kernel.h"

#if defined(__AVX512F__)
#include <immintrin.h>

#include "avx512_transpose.h"

/* Apply the row list X to each of the 14 tile rows. */
#define HEED_ROWS14(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13)

static inline __mmask16 mask_for(int count) {
  if (count >= 16) return (__mmask16)0xFFFF;
  if (count <= 0) return (__mmask16)0;
  return (__mmask16)((1u << count) - 1u);
}

void heed_gemm_micro(int64_t kc, const float *Ap, const float *Bp, float *C, int64_t ldc,
                     float alpha, float beta, int mr, int nr) {
#define DECL(r) __m512 c##r##_0 = _mm512_setzero_ps(), c##r##_1 = _mm512_setzero_ps();
  HEED_ROWS14(DECL)
#undef DECL
  /* Touch the C tile early so its lines arrive while the k loop runs. */
  for (int r = 0; r < mr; r++) {
    _mm_prefetch((const char *)(C + r * ldc), _MM_HINT_T0);
    _mm_prefetch((const char *)(C + r * ldc + 16), _MM_HINT_T0);
  }
  for (int64_t p = 0; p < kc; p++) {
    const __m512 b0 = _mm512_load_ps(Bp);
    const __m512 b1 = _mm512_load_ps(Bp + 16);
#define STEP(r)                                        \
  {                                                    \
    const __m512 av = _mm512_set1_ps(Ap[r]);           \
    c##r##_0 = _mm512_fmadd_ps(av, b0, c##r##_0);      \
    c##r##_1 = _mm512_fmadd_ps(av, b1, c##r##_1);      \
  }
    HEED_ROWS14(STEP)
#undef STEP
    Ap += HEED_MR;
    Bp += HEED_NR;
  }
  const __m512 va = _mm512_set1_ps(alpha);
  const __mmask16 m0 = mask_for(nr), m1 = mask_for(nr - 16);
  if (beta == 0.0f) {
#define STORE(r)                                                                  \
  if (r < mr) {                                                                   \
    float *cr = C + (int64_t)(r) * ldc;                                           \
    _mm512_mask_storeu_ps(cr, m0, _mm512_mul_ps(va, c##r##_0));                   \
    _mm512_mask_storeu_ps(cr + 16, m1, _mm512_mul_ps(va, c##r##_1));              \
  }
    HEED_ROWS14(STORE)
#undef STORE
  } else {
    const __m512 vb = _mm512_set1_ps(beta);
#define STORE(r)                                                                               \
  if (r < mr) {                                                                                \
    float *cr = C + (int64_t)(r) * ldc;                                                        \
    __m512 o0 = _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(m0, cr));                              \
    __m512 o1 = _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(m1, cr + 16));                         \
    _mm512_mask_storeu_ps(cr, m0, _mm512_fmadd_ps(va, c##r##_0, o0));                          \
    _mm512_mask_storeu_ps(cr + 16, m1, _mm512_fmadd_ps(va, c##r##_1, o1));                     \
  }
    HEED_ROWS14(STORE)
#undef STORE
  }
}

/* Store one 16-wide (masked) accumulator row with the alpha/beta update. */
static inline void store_row(float *c, __mmask16 mk, __m512 acc, __m512 va, float beta) {
  __m512 r = _mm512_mul_ps(va, acc);
  if (beta != 0.0f) r = _mm512_fmadd_ps(_mm512_set1_ps(beta), _mm512_maskz_loadu_ps(mk, c), r);
  _mm512_mask_storeu_ps(c, mk, r);
}

void heed_gemm_small(int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t a_rs,
                     int64_t a_cs, const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
  const __m512 va = _mm512_set1_ps(alpha);
  int64_t i = 0;
  /* Four rows share every B load: 4 FMAs per 16-float load keeps the FMA unit busy. */
  for (; i + 4 <= m; i += 4) {
    const float *a0 = a + i * a_rs, *a1 = a0 + a_rs, *a2 = a1 + a_rs, *a3 = a2 + a_rs;
    for (int64_t j = 0; j < n; j += 16) {
      const __mmask16 mk = mask_for((int)(n - j < 16 ? n - j : 16));
      __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
      const float *bp = b + j;
      for (int64_t p = 0; p < k; p++, bp += ldb) {
        const __m512 bv = _mm512_maskz_loadu_ps(mk, bp);
        const int64_t q = p * a_cs;
        s0 = _mm512_fmadd_ps(_mm512_set1_ps(a0[q]), bv, s0);
        s1 = _mm512_fmadd_ps(_mm512_set1_ps(a1[q]), bv, s1);
        s2 = _mm512_fmadd_ps(_mm512_set1_ps(a2[q]), bv, s2);
        s3 = _mm512_fmadd_ps(_mm512_set1_ps(a3[q]), bv, s3);
      }
      float *cr = c + i * ldc + j;
      store_row(cr, mk, s0, va, beta);
      store_row(cr + ldc, mk, s1, va, beta);
      store_row(cr + 2 * ldc, mk, s2, va, beta);
      store_row(cr + 3 * ldc, mk, s3, va, beta);
    }
  }
  for (; i < m; i++) {
    const float *ai = a + i * a_rs;
    for (int64_t j = 0; j < n; j += 16) {
      const __mmask16 mk = mask_for((int)(n - j < 16 ? n - j : 16));
      __m512 s0 = _mm512_setzero_ps();
      const float *bp = b + j;
      for (int64_t p = 0; p < k; p++, bp += ldb)
        s0 = _mm512_fmadd_ps(_mm512_set1_ps(ai[p * a_cs]), _mm512_maskz_loadu_ps(mk, bp), s0);
      store_row(c + i * ldc + j, mk, s0, va, beta);
    }
  }
}

/* Transposes 16×16 blocks; masks (zero-filled loads, trimmed stores) handle the edges. */
void heed_gemm_transpose_small(int64_t n, int64_t k, const float *b, float *bt) {
  for (int64_t j0 = 0; j0 < n; j0 += 16) {
    const int nj = (int)(n - j0 < 16 ? n - j0 : 16);
    const __mmask16 mj = mask_for(nj);
    for (int64_t p0 = 0; p0 < k; p0 += 16) {
      const int np = (int)(k - p0 < 16 ? k - p0 : 16);
      const __mmask16 mp = mask_for(np);
      __m512 r[16];
      for (int i = 0; i < 16; i++)
        r[i] = i < nj ? _mm512_maskz_loadu_ps(mp, b + (j0 + i) * k + p0) : _mm512_setzero_ps();
      transpose16(r);
      for (int i = 0; i < np; i++) _mm512_mask_storeu_ps(bt + (p0 + i) * n + j0, mj, r[i]);
    }
  }
}

#endif
