/*
 * A 16×16 float transpose in AVX-512 registers, shared by the GEMM packers
 * (gemm_kernel_avx512.c) and the attention packers (attention_pack.c). Include only where
 * __AVX512F__ is defined.
 */
#ifndef HEED_AVX512_TRANSPOSE_H
#define HEED_AVX512_TRANSPOSE_H

#include <immintrin.h>

/* 16×16 in-register transpose: unpack pairs of rows, then shuffle 2×2, 4×4 and 8×8 blocks
 * (64 shuffles), the standard AVX-512 pattern. In: r[i][j] = row i; out: r[j][i]. */
static inline void transpose16(__m512 r[16]) {
  __m512 t[16], u[16];
  for (int a = 0; a < 8; a++) {
    t[2 * a] = _mm512_unpacklo_ps(r[2 * a], r[2 * a + 1]);
    t[2 * a + 1] = _mm512_unpackhi_ps(r[2 * a], r[2 * a + 1]);
  }
  /* u[4g + c], lane L = column 4L + c of rows 4g..4g+3. */
  for (int g = 0; g < 4; g++) {
    u[4 * g + 0] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * g + 1] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[4 * g + 2] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * g + 3] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  /* Gather lane L of u[c], u[4+c], u[8+c], u[12+c] into output row 4L + c. */
  for (int c = 0; c < 4; c++) {
    const __m512 v0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x88);
    const __m512 w0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xDD);
    const __m512 v1 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x88);
    const __m512 w1 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xDD);
    r[c] = _mm512_shuffle_f32x4(v0, v1, 0x88);
    r[8 + c] = _mm512_shuffle_f32x4(v0, v1, 0xDD);
    r[4 + c] = _mm512_shuffle_f32x4(w0, w1, 0x88);
    r[12 + c] = _mm512_shuffle_f32x4(w0, w1, 0xDD);
  }
}

#endif
