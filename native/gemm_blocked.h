/*
 * The packed, cache-blocked SGEMM (gemm_blocked.c) and its packing routines (gemm_pack.c).
 * Matrices are described by a base pointer and row/column strides so transposes cost nothing
 * until packing: op(A)(i, p) = a[i*a_rs + p*a_cs], op(B)(p, j) = b[p*b_rs + j*b_cs].
 */
#ifndef HEED_GEMM_BLOCKED_H
#define HEED_GEMM_BLOCKED_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  int64_t m, n, k;
  float alpha, beta;
  const float *a;
  int64_t a_rs, a_cs;
  const float *b;
  int64_t b_rs, b_cs;
  float *c;
  int64_t ldc;
} heed_gemm_problem;

/* Packs rows [0, rows) of a kc-column slice of op(A) into MR-row micro-panels at Ap, padding the
 * last panel with zero rows. */
void heed_pack_a(int64_t rows, int64_t kc, const float *a, int64_t rs, int64_t cs, float *Ap);

/* Packs a kc×nc slice of op(B) into NR-column micro-panels at Bp, zero-padding the last one. */
void heed_pack_b(int64_t kc, int64_t nc, const float *b, int64_t rs, int64_t cs, float *Bp);

/* The calling thread's packing workspace of at least `floats` floats (64-byte aligned, grown as
 * needed, kept for the thread's next call), or NULL when out of memory. One GEMM uses it at a
 * time: its contents do not survive the next call. */
float *heed_gemm_workspace(size_t floats);

/* C = alpha·op(A)·op(B) + beta·C on up to `threads` threads; returns HEED_OK or HEED_ENOMEM. */
int heed_gemm_blocked(const heed_gemm_problem *p, int threads);

#endif
