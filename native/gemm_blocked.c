/*
 * Cache-blocked SGEMM in the BLIS style, transcribed to row-major C with the vector dimension
 * along N:
 *
 *   for ic in M by MC        A block  (MC×KC, packed; stays in L2)
 *     for pc in K by KC
 *       pack A block
 *       for jc in N by NC
 *         pack B block (KC×NC)
 *         for each MR-row A micro-panel (stays in L1 across the loop below)
 *           for each NR-column B micro-panel: micro-kernel updates one MR×NR tile of C
 *
 * Threads take independent pieces of C (pool.c): column ranges of whole NR panels when C is at
 * least as wide as tall, else row ranges of whole MR panels. Each piece packs its own blocks, so
 * no thread ever waits for another: a piece repacks the operand it shares with the others (A for
 * column pieces, B for row pieces), so the split goes across the dimension that duplicates less.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "gemm_blocked.h"
#include "gemm_kernel.h"
#include "heed.h"

static int64_t min64(int64_t x, int64_t y) { return x < y ? x : y; }
static int64_t ceil_div(int64_t x, int64_t y) { return (x + y - 1) / y; }

/* Each calling thread keeps one growing workspace, so steady-state calls never allocate. */
static _Thread_local float *t_ws = NULL;
static _Thread_local size_t t_ws_floats = 0;

float *heed_gemm_workspace(size_t floats) {
  if (floats <= t_ws_floats) return t_ws;
  free(t_ws);
  size_t bytes = (floats * sizeof(float) + 63) & ~(size_t)63;
  t_ws = aligned_alloc(64, bytes);
  t_ws_floats = t_ws != NULL ? floats : 0;
  return t_ws;
}

/* The whole problem on the calling thread. */
static int blocked_serial(const heed_gemm_problem *P) {
  const int64_t kc_max = min64(P->k, HEED_KC);
  const int64_t ap_floats = ceil_div(min64(P->m, HEED_MC), HEED_MR) * HEED_MR * kc_max;
  /* Round A's region up to a cache line so B's panels start 64-byte aligned. */
  const int64_t ap_stride = (ap_floats + 15) & ~(int64_t)15;
  const int64_t bp_floats = ceil_div(min64(P->n, HEED_NC), HEED_NR) * HEED_NR * kc_max;
  float *ws = heed_gemm_workspace((size_t)(ap_stride + bp_floats));
  if (ws == NULL) return HEED_ENOMEM;
  float *Ap = ws, *Bp = ws + ap_stride;
  for (int64_t ic = 0; ic < P->m; ic += HEED_MC) {
    const int64_t mc = min64(HEED_MC, P->m - ic);
    for (int64_t pc = 0; pc < P->k; pc += HEED_KC) {
      const int64_t kc = min64(HEED_KC, P->k - pc);
      /* Later k blocks add onto what the first one wrote. */
      const float beta = pc == 0 ? P->beta : 1.0f;
      heed_pack_a(mc, kc, P->a + ic * P->a_rs + pc * P->a_cs, P->a_rs, P->a_cs, Ap);
      for (int64_t jc = 0; jc < P->n; jc += HEED_NC) {
        const int64_t nc = min64(HEED_NC, P->n - jc);
        heed_pack_b(kc, nc, P->b + pc * P->b_rs + jc * P->b_cs, P->b_rs, P->b_cs, Bp);
        for (int64_t i = 0; i < mc; i += HEED_MR) {
          const int mr = (int)min64(HEED_MR, mc - i);
          const float *ap = Ap + i * kc;
          float *crow = P->c + (ic + i) * P->ldc + jc;
          for (int64_t j = 0; j < nc; j += HEED_NR) {
            const int nr = (int)min64(HEED_NR, nc - j);
            heed_gemm_micro(kc, ap, Bp + j * kc, crow + j, P->ldc, P->alpha, beta, mr, nr);
          }
        }
      }
    }
  }
  return HEED_OK;
}

typedef struct {
  const heed_gemm_problem *p;
  int64_t units; /* NR column panels or MR row panels */
  int pieces, split_n;
  _Atomic int status;
} blocked_job;

static void blocked_piece(void *ctx, int64_t t, int slot) {
  (void)slot;
  blocked_job *J = ctx;
  heed_gemm_problem Q = *J->p;
  const int64_t lo = J->units * t / J->pieces, hi = J->units * (t + 1) / J->pieces;
  if (J->split_n) {
    const int64_t j0 = lo * HEED_NR, j1 = min64(Q.n, hi * HEED_NR);
    Q.n = j1 - j0;
    Q.b += j0 * Q.b_cs;
    Q.c += j0;
  } else {
    const int64_t i0 = lo * HEED_MR, i1 = min64(Q.m, hi * HEED_MR);
    Q.m = i1 - i0;
    Q.a += i0 * Q.a_rs;
    Q.c += i0 * Q.ldc;
  }
  if (Q.m > 0 && Q.n > 0 && blocked_serial(&Q) != HEED_OK) atomic_store(&J->status, HEED_ENOMEM);
}

int heed_gemm_blocked(const heed_gemm_problem *P, int threads) {
  int nt = threads < 1 ? 1 : threads;
  const int64_t tiles_m = ceil_div(P->m, HEED_MR), tiles_n = ceil_div(P->n, HEED_NR);
  /* Splitting N keeps each piece's B private; it needs a couple of B panels per thread. */
  const int split_n = tiles_n >= 2 * (int64_t)nt && (P->n >= P->m || tiles_m < nt);
  const int64_t units = split_n ? tiles_n : tiles_m;
  if (units < nt) nt = (int)units;
  if (nt <= 1) return blocked_serial(P);
  blocked_job J = {P, units, nt, split_n, HEED_OK};
  heed_pool_run(nt, nt, blocked_piece, &J);
  return atomic_load(&J.status);
}
