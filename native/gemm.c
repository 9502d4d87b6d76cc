/*
 * Batched GEMM entry point: trims degenerate shapes, then runs each batch element on OpenBLAS
 * (when compiled in and selected, except for tiny problems) or on the built-in kernels.
 * Built-in problems take one of two routes: small ones go straight to an unpacked
 * register-tiled loop (no packing, threads or allocation, so a 16×16 product costs little more
 * than its FMAs), the rest to the packed, blocked SGEMM.
 *
 * Threading is the same for both implementations and always comes from heed's pool (pool.c):
 * independent batch elements of modest size run concurrently, and a large single problem is
 * split across threads. OpenBLAS itself is kept single-threaded (config.c): its own pthread pool
 * spin-waits between jobs, and on a machine with few cores two pools were measured to stall each
 * other (a 1M-element add after an OpenBLAS GEMM took 8 ms instead of 0.1 ms). So an OpenBLAS
 * GEMM is split into column (or row) blocks, one cblas_sgemm per piece.
 */
#ifdef HEED_HAVE_OPENBLAS
#include <cblas.h>
#endif

#include <stdatomic.h>

#include "gemm_blocked.h"
#include "gemm_kernel.h"
#include "heed.h"

/* Problems up to this many multiply-adds whose B fits in L1 (SMALL_B floats) skip packing:
 * there packing costs as much as the math. A transposed B is transposed into a stack buffer of
 * that size. Measured crossover on Zen 4: about 80³. */
#define SMALL_MNK ((int64_t)80 * 80 * 80)
#define SMALL_B 8192
/* Even with OpenBLAS selected, problems up to TINY_MNK multiply-adds at least TINY_MIN_N wide
 * run on the unpacked kernel. Measured per call on Zen 4 (OpenBLAS 0.3.21, one thread, over all
 * transposes and m, n, k in {4, 8, 16, 32, 64}): the built-in kernel took a median 0.7× of
 * OpenBLAS's time up to 16³ and 0.9–1.0× up to 32³, and transposed B up to 2.6× less (16×16×16
 * with transB: 151 vs 397 ns). Narrower C is left to OpenBLAS: the kernel vectorises along n,
 * 16 floats at a time, and at n = 4 took up to 3.6× OpenBLAS's time. */
#define TINY_MNK ((int64_t)32 * 32 * 32)
#define TINY_MIN_N 16
/* Multiply-adds from which one problem is worth splitting across threads (heed.h). */
#define PAR_MNK (HEED_GEMM_PAR_SCALE * heed_par_threshold())

static void scale_c(float *c, int64_t count, float beta) {
  if (beta == 1.0f) return;
  /* beta == 0 clears (BLAS semantics: C is not read, so NaN in C does not survive). */
  if (beta == 0.0f)
    for (int64_t i = 0; i < count; i++) c[i] = 0.0f;
  else
    for (int64_t i = 0; i < count; i++) c[i] *= beta;
}

/* Whether a problem runs on the unpacked small kernel when the built-in GEMM is selected. */
static int is_small(const heed_gemm_args *g) {
  return g->m * g->n * g->k <= SMALL_MNK && g->k * g->n <= SMALL_B;
}

/* One problem on the built-in kernels. */
static int builtin_one(const heed_gemm_args *g, const float *a, const float *b, float *c,
                       int threads) {
  const int64_t m = g->m, n = g->n, k = g->k;
  const int64_t a_rs = g->trans_a ? 1 : k, a_cs = g->trans_a ? m : 1;
  if (is_small(g)) {
    if (!g->trans_b) {
      heed_gemm_small(m, n, k, g->alpha, a, a_rs, a_cs, b, n, g->beta, c, n);
    } else {
      float bt[SMALL_B];
      heed_gemm_transpose_small(n, k, b, bt);
      heed_gemm_small(m, n, k, g->alpha, a, a_rs, a_cs, bt, n, g->beta, c, n);
    }
    return HEED_OK;
  }
  const heed_gemm_problem P = {m, n, k, g->alpha, g->beta, a, a_rs, a_cs, b,
                               g->trans_b ? 1 : n, g->trans_b ? k : 1, c, n};
  return heed_gemm_blocked(&P, threads);
}

#ifdef HEED_HAVE_OPENBLAS
/* Whether a problem stays on the unpacked small kernel although OpenBLAS is selected. */
static int is_tiny(const heed_gemm_args *g) {
  return g->m * g->n * g->k <= TINY_MNK && g->n >= TINY_MIN_N && is_small(g);
}

/* C[i0:i1, j0:j1] of one problem through cblas_sgemm; sub-blocks keep the parent's leading
 * dimensions, which BLAS requires to be at least 1. */
static void openblas_block(const heed_gemm_args *g, const float *a, const float *b, float *c,
                           int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
  const int64_t m = g->m, n = g->n, k = g->k;
  const int64_t lda = g->trans_a ? m : k, ldb = g->trans_b ? k : n;
  cblas_sgemm(CblasRowMajor, g->trans_a ? CblasTrans : CblasNoTrans,
              g->trans_b ? CblasTrans : CblasNoTrans, (blasint)(i1 - i0), (blasint)(j1 - j0),
              (blasint)k, g->alpha, a + (g->trans_a ? i0 : i0 * k), (blasint)(lda > 0 ? lda : 1),
              b + (g->trans_b ? j0 * k : j0), (blasint)(ldb > 0 ? ldb : 1), g->beta,
              c + i0 * n + j0, (blasint)n);
}

typedef struct {
  const heed_gemm_args *g;
  const float *a, *b;
  float *c;
  int64_t units;
  int pieces, split_n;
} openblas_split;

static void openblas_piece(void *ctx, int64_t t, int slot) {
  (void)slot;
  const openblas_split *S = ctx;
  const int64_t lo = S->units * t / S->pieces, hi = S->units * (t + 1) / S->pieces;
  if (S->split_n) {
    const int64_t j1 = hi * 16 < S->g->n ? hi * 16 : S->g->n;
    openblas_block(S->g, S->a, S->b, S->c, 0, S->g->m, lo * 16, j1);
  } else {
    openblas_block(S->g, S->a, S->b, S->c, lo, hi, 0, S->g->n);
  }
}

/* One problem on OpenBLAS, one piece per thread: split over columns (whole 64-byte lines per
 * piece) when C is at least as wide as tall, else over rows. Each piece packs all of the
 * operand it shares, A (m×k) for columns, B (k×n) for rows, so the split duplicates the smaller.
 * Measured on 2 threads, the benchmarked GPT's products with m 768 (or 512), k 128–768: n 128
 * took 518–538 µs split by rows against 675–717 µs by columns, n 512 542–564 µs against
 * 621–739 µs. */
static void openblas_one(const heed_gemm_args *g, const float *a, const float *b, float *c,
                         int threads) {
  if (threads <= 1) {
    openblas_block(g, a, b, c, 0, g->m, 0, g->n);
    return;
  }
  const int split_n = g->n >= 32 * (int64_t)threads && (g->n >= g->m || g->m < 2 * (int64_t)threads);
  const int64_t units = split_n ? (g->n + 15) / 16 : g->m;
  const int pieces = units < threads ? (int)units : threads;
  openblas_split S = {g, a, b, c, units, pieces, split_n};
  heed_pool_run(pieces, pieces, openblas_piece, &S);
}
#endif

static int gemm_one(const heed_gemm_args *g, int64_t i, int threads) {
  const float *a = g->a + i * g->stride_a, *b = g->b + i * g->stride_b;
  float *c = g->c + i * g->stride_c;
  if (g->m * g->n * g->k < PAR_MNK) threads = 1;
#ifdef HEED_HAVE_OPENBLAS
  if (heed_gemm_uses_openblas() && !is_tiny(g)) {
    openblas_one(g, a, b, c, threads);
    return HEED_OK;
  }
#endif
  return builtin_one(g, a, b, c, threads);
}

typedef struct {
  const heed_gemm_args *g;
  _Atomic int status;
} batch_job;

static void batch_item(void *ctx, int64_t i, int slot) {
  (void)slot;
  batch_job *J = ctx;
  const int s = gemm_one(J->g, i, 1);
  if (s != HEED_OK) atomic_store(&J->status, s);
}

int heed_gemm(const heed_gemm_args *g) {
  if (g->batch <= 0 || g->m <= 0 || g->n <= 0) return HEED_OK;
  if (g->k <= 0) {
    /* An empty sum: every product is 0 and C becomes beta·C, once per batch element. */
    for (int64_t i = 0; i < g->batch; i++) scale_c(g->c + i * g->stride_c, g->m * g->n, g->beta);
    return HEED_OK;
  }
  const int nt = heed_threads();
  const int64_t per = g->m * g->n * g->k;
  /* Whole problems per thread beat splitting each one when they are small or divide evenly;
   * only distinct C matrices may be computed concurrently (strideC = 0 accumulates in order). */
  const int by_batch = nt > 1 && g->batch >= nt && g->stride_c >= g->m * g->n &&
                       per >= (PAR_MNK + g->batch - 1) / g->batch && /* per·batch ≥ PAR_MNK */
                       (per < PAR_MNK || g->batch % nt == 0);
  if (by_batch) {
    batch_job J = {g, HEED_OK};
    heed_pool_run(nt, g->batch, batch_item, &J);
    return atomic_load(&J.status);
  }
  int status = HEED_OK;
  for (int64_t i = 0; i < g->batch && status == HEED_OK; i++) status = gemm_one(g, i, nt);
  return status;
}
