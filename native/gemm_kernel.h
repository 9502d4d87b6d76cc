/*
 * The register-tile shape, cache blocking and micro-kernels of the built-in SGEMM, chosen at
 * compile time from the instruction set the compiler targets (-march=native). Exactly one of
 * gemm_kernel_avx512.c, gemm_kernel_avx2.c and gemm_kernel_scalar.c provides the functions.
 *
 * Packed layouts (see gemm_pack.c): an A micro-panel holds MR rows of a kc-long k-slice stored
 * k-major (Ap[p*MR + r]); a B micro-panel holds NR columns stored k-major (Bp[p*NR + c]).
 * Rows/columns past the matrix edge are packed as zeros, so the micro-kernel always computes a
 * full MR×NR tile and only the store is trimmed to (mr, nr).
 */
#ifndef HEED_GEMM_KERNEL_H
#define HEED_GEMM_KERNEL_H

#include <stddef.h>
#include <stdint.h>

/* Cache blocking (see gemm_blocked.c for the loop order): an MR×KC A micro-panel stays in L1
 * while B micro-panels stream past it from the KC×NC B block (L2 sized; streaming from L3 also
 * keeps up, since the kernel needs only NR floats per MR FMAs). MC is large so B is repacked
 * rarely; the MC×KC A block lives in L3. Measured on Zen 4; override with -D when tuning. */
#if defined(__AVX512F__)
/* 14×32: 28 zmm accumulators + 2 B vectors + 1 broadcast fit the 32 zmm registers, and each
 * k step issues 28 FMAs against 16 loads, so the loop is FMA-bound rather than load-bound. */
#define HEED_MR 14
#define HEED_NR 32
#ifndef HEED_KC
#define HEED_KC 384
#endif
#ifndef HEED_MC
#define HEED_MC 2016
#endif
#ifndef HEED_NC
#define HEED_NC 640
#endif
#define HEED_SIMD_NAME "avx512"
#elif defined(__AVX2__) && defined(__FMA__)
/* 6×16: 12 ymm accumulators + 2 B vectors + 1 broadcast of the 16 ymm registers. */
#define HEED_MR 6
#define HEED_NR 16
#ifndef HEED_KC
#define HEED_KC 256
#endif
#ifndef HEED_MC
#define HEED_MC 1020
#endif
#ifndef HEED_NC
#define HEED_NC 1024
#endif
#define HEED_SIMD_NAME "avx2"
#else
/* Portable C: a 4×8 tile the compiler can keep in registers (and vectorise with SSE/NEON). */
#define HEED_MR 4
#define HEED_NR 8
#ifndef HEED_KC
#define HEED_KC 256
#endif
#ifndef HEED_MC
#define HEED_MC 512
#endif
#ifndef HEED_NC
#define HEED_NC 1024
#endif
#define HEED_SIMD_NAME "scalar"
#endif

/* C[0:mr, 0:nr] = alpha · (Ap · Bp) + beta · C, with kc steps over packed panels; beta == 0
 * never reads C (BLAS semantics: NaN/garbage in C is overwritten). */
void heed_gemm_micro(int64_t kc, const float *Ap, const float *Bp, float *C, int64_t ldc,
                     float alpha, float beta, int mr, int nr);

/* Unpacked GEMM for small problems: C = alpha · op(A) · B + beta · C where op(A)(i, p) =
 * a[i*a_rs + p*a_cs] and B is row-major k×n with row stride ldb. No allocation, no threads. */
void heed_gemm_small(int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t a_rs,
                     int64_t a_cs, const float *b, int64_t ldb, float beta, float *c, int64_t ldc);

/* bt (k×n, row-major) = transpose of b (n×k, row-major): feeds a transposed B to the small path. */
void heed_gemm_transpose_small(int64_t n, int64_t k, const float *b, float *bt);

#endif
