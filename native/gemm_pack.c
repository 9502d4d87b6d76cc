/*
 * Packing for the blocked SGEMM. Packing copies a block into the exact order the micro-kernel
 * reads it (unit stride, 64-byte aligned, zero-padded to whole tiles), which is what lets the
 * kernel stream from L1/L2 at full speed whatever the source layout or transpose.
 */
#include <string.h>

#include "gemm_blocked.h"
#include "gemm_kernel.h"

void heed_pack_a(int64_t rows, int64_t kc, const float *a, int64_t rs, int64_t cs, float *Ap) {
  for (int64_t i0 = 0; i0 < rows; i0 += HEED_MR, Ap += HEED_MR * kc) {
    const int64_t mr = rows - i0 < HEED_MR ? rows - i0 : HEED_MR;
    const float *src = a + i0 * rs;
    if (mr == HEED_MR && rs == 1) {
      /* Transposed A: each k step is MR contiguous floats already. */
      for (int64_t p = 0; p < kc; p++) memcpy(Ap + p * HEED_MR, src + p * cs, sizeof(float) * HEED_MR);
    } else if (mr == HEED_MR && cs == 1) {
      /* Row-major A: walk MR rows side by side, in short k chunks so the MR source streams and
       * the written panel stay cache resident. */
      for (int64_t p0 = 0; p0 < kc; p0 += 64) {
        const int64_t p1 = p0 + 64 < kc ? p0 + 64 : kc;
        for (int r = 0; r < HEED_MR; r++) {
          const float *row = src + r * rs;
          for (int64_t p = p0; p < p1; p++) Ap[p * HEED_MR + r] = row[p];
        }
      }
    } else {
      for (int64_t p = 0; p < kc; p++)
        for (int r = 0; r < HEED_MR; r++)
          Ap[p * HEED_MR + r] = r < mr ? src[r * rs + p * cs] : 0.0f;
    }
  }
}

void heed_pack_b(int64_t kc, int64_t nc, const float *b, int64_t rs, int64_t cs, float *Bp) {
  for (int64_t j0 = 0; j0 < nc; j0 += HEED_NR, Bp += HEED_NR * kc) {
    const int64_t nr = nc - j0 < HEED_NR ? nc - j0 : HEED_NR;
    const float *src = b + j0 * cs;
    if (nr == HEED_NR && cs == 1) {
      for (int64_t p = 0; p < kc; p++) memcpy(Bp + p * HEED_NR, src + p * rs, sizeof(float) * HEED_NR);
    } else if (nr == HEED_NR && rs == 1) {
      /* Transposed B: columns are contiguous in k; chunk k as in heed_pack_a. */
      for (int64_t p0 = 0; p0 < kc; p0 += 64) {
        const int64_t p1 = p0 + 64 < kc ? p0 + 64 : kc;
        for (int c = 0; c < HEED_NR; c++) {
          const float *col = src + c * cs;
          for (int64_t p = p0; p < p1; p++) Bp[p * HEED_NR + c] = col[p];
        }
      }
    } else {
      for (int64_t p = 0; p < kc; p++)
        for (int c = 0; c < HEED_NR; c++)
          Bp[p * HEED_NR + c] = c < nr ? src[p * rs + c * cs] : 0.0f;
    }
  }
}
