/*
 * The attention kernels' packers (attention.c). See attention_pack.h.
 */
#include "attention_pack.h"
#include "gemm_blocked.h"
#include "gemm_kernel.h"
#include "heed.h"

static inline int64_t min64(int64_t x, int64_t y) { return x < y ? x : y; }

/*
 * Packing into the micro-kernel's layouts (gemm_kernel.h): A as MR-row panels k-major, B as
 * NR-column panels k-major, zero-padded. Attention packs small blocks all the time (a query
 * block, every P and dS tile, each head's K, V, Q and dO), often transposing, where the shared
 * packers (gemm_pack.c) move one float at a time; with AVX-512 and the 14×32 tile these move
 * 16 floats a time, transposing 16×16 blocks in registers.
 */
#if defined(__AVX512F__) && HEED_MR == 14 && HEED_NR == 32
#include <immintrin.h>

#include "avx512_transpose.h"

static inline __mmask16 lanes_mask(int64_t n) {
  return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1u);
}

/* A (rows × kc), element (i, p) at a[i·rs + p·cs], into MR-row panels: Ap[p·MR + i]. */
void heed_att_pack_a(int64_t rows, int64_t kc, const float *a, int64_t rs, int64_t cs, float *Ap) {
  const __mmask16 panel = lanes_mask(HEED_MR);
  for (int64_t i0 = 0; i0 < rows; i0 += HEED_MR, Ap += HEED_MR * kc) {
    const int64_t mr = min64(HEED_MR, rows - i0);
    const float *src = a + i0 * rs;
    if (rs == 1) {
      /* Each k step is mr contiguous floats: one masked copy, zeros past the edge. */
      const __mmask16 m = lanes_mask(mr);
      for (int64_t p = 0; p < kc; p++)
        _mm512_mask_storeu_ps(Ap + p * HEED_MR, panel, _mm512_maskz_loadu_ps(m, src + p * cs));
    } else if (cs == 1) {
      /* Row-major: 16 k steps of the panel's rows at a time, transposed. */
      for (int64_t p0 = 0; p0 < kc; p0 += 16) {
        const int64_t np = min64(16, kc - p0);
        const __mmask16 m = lanes_mask(np);
        __m512 r[16];
        for (int i = 0; i < 16; i++)
          r[i] = i < mr ? _mm512_maskz_loadu_ps(m, src + i * rs + p0) : _mm512_setzero_ps();
        transpose16(r);
        for (int64_t p = 0; p < np; p++)
          _mm512_mask_storeu_ps(Ap + (p0 + p) * HEED_MR, panel, r[p]);
      }
    } else {
      for (int64_t p = 0; p < kc; p++)
        for (int i = 0; i < HEED_MR; i++)
          Ap[p * HEED_MR + i] = i < mr ? src[i * rs + p * cs] : 0.0f;
    }
  }
}

/* B (kc × nc), element (p, j) at b[p·rs + j·cs], into NR-column panels: Bp[p·NR + j]. */
void heed_att_pack_b(int64_t kc, int64_t nc, const float *b, int64_t rs, int64_t cs, float *Bp) {
  for (int64_t j0 = 0; j0 < nc; j0 += HEED_NR, Bp += HEED_NR * kc) {
    const int64_t nr = min64(HEED_NR, nc - j0);
    const float *src = b + j0 * cs;
    if (cs == 1) {
      /* Row-major: each k step is nr contiguous floats. */
      const __mmask16 m0 = lanes_mask(nr), m1 = lanes_mask(nr - 16);
      for (int64_t p = 0; p < kc; p++) {
        _mm512_storeu_ps(Bp + p * HEED_NR, _mm512_maskz_loadu_ps(m0, src + p * rs));
        _mm512_storeu_ps(Bp + p * HEED_NR + 16, _mm512_maskz_loadu_ps(m1, src + p * rs + 16));
      }
    } else if (rs == 1) {
      /* Column-major (a transposed B): 16 columns × 16 k steps at a time, transposed. */
      for (int h = 0; h < 2; h++) {
        const int64_t nh = nr - 16 * h;
        for (int64_t p0 = 0; p0 < kc; p0 += 16) {
          const int64_t np = min64(16, kc - p0);
          const __mmask16 m = lanes_mask(np);
          __m512 r[16];
          for (int c = 0; c < 16; c++)
            r[c] = c < nh ? _mm512_maskz_loadu_ps(m, src + (16 * h + c) * cs + p0)
                          : _mm512_setzero_ps();
          transpose16(r);
          for (int64_t p = 0; p < np; p++) _mm512_storeu_ps(Bp + (p0 + p) * HEED_NR + 16 * h, r[p]);
        }
      }
    } else {
      for (int64_t p = 0; p < kc; p++)
        for (int j = 0; j < HEED_NR; j++)
          Bp[p * HEED_NR + j] = j < nr ? src[p * rs + j * cs] : 0.0f;
    }
  }
}
#else
void heed_att_pack_a(int64_t rows, int64_t kc, const float *a, int64_t rs, int64_t cs, float *Ap) {
  heed_pack_a(rows, kc, a, rs, cs, Ap);
}
void heed_att_pack_b(int64_t kc, int64_t nc, const float *b, int64_t rs, int64_t cs, float *Bp) {
  heed_pack_b(kc, nc, b, rs, cs, Bp);
}
#endif

