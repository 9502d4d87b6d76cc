/*
 * Cache-blocked SGEMM in the BLIS style, transcribed to row-major C with the vector dimension
 * along N:
 *
 *   for ic in M by MC        A block  (MC×KC, packed once, shared by all threads; lives in L3)
 *     for pc in K by KC
 *       pack A block cooperatively; barrier
 *       for jc in this thread's N range by NC
 *         pack B block (KC×NC, private to the thread; lives in its core's L2)
 *         for each MR-row A micro-panel (stays in L1 across the loop below)
 *           for each NR-column B micro-panel: micro-kernel updates one MR×NR tile of C
 *       barrier (nobody repacks A while another thread still reads it)
 *
 * Threads split N (each owns a column range of C and packs only its B) unless N is too narrow
 * to share, in which case they split the A micro-panels of every block instead.
 */
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "gemm_blocked.h"
#include "gemm_kernel.h"
#include "heed.h"

typedef struct {
  const heed_gemm_problem *p;
  float *ap;       /* shared packed A block */
  float *bp_all;   /* one packed B block per thread, bp_stride floats apart */
  int64_t bp_stride;
  int split_n;
} blocked_job;

static int64_t min64(int64_t x, int64_t y) { return x < y ? x : y; }
static int64_t ceil_div(int64_t x, int64_t y) { return (x + y - 1) / y; }

/* Each calling thread keeps one growing workspace, so steady-state calls never allocate. */
static _Thread_local float *t_ws = NULL;
static _Thread_local size_t t_ws_floats = 0;

static float *workspace(size_t floats) {
  if (floats <= t_ws_floats) return t_ws;
  free(t_ws);
  size_t bytes = (floats * sizeof(float) + 63) & ~(size_t)63;
  t_ws = aligned_alloc(64, bytes);
  t_ws_floats = t_ws != NULL ? floats : 0;
  return t_ws;
}

static void barrier(int nt) {
  (void)nt;
#ifdef _OPENMP
  if (nt > 1) {
#pragma omp barrier
  }
#endif
}

static void worker(const blocked_job *J, int tid, int nt) {
  const heed_gemm_problem *P = J->p;
  float *Bp = J->bp_all + tid * J->bp_stride;
  int64_t n_lo = 0, n_hi = P->n;
  if (J->split_n) {
    const int64_t units = ceil_div(P->n, HEED_NR);
    n_lo = units * tid / nt * HEED_NR;
    n_hi = min64(P->n, units * (tid + 1) / nt * HEED_NR);
  }
  for (int64_t ic = 0; ic < P->m; ic += HEED_MC) {
    const int64_t mc = min64(HEED_MC, P->m - ic);
    const int64_t panels = ceil_div(mc, HEED_MR);
    /* Which A micro-panels this thread packs, and which it multiplies. */
    const int64_t pack_lo = panels * tid / nt, pack_hi = panels * (tid + 1) / nt;
    const int64_t ir_lo = J->split_n ? 0 : pack_lo, ir_hi = J->split_n ? panels : pack_hi;
    for (int64_t pc = 0; pc < P->k; pc += HEED_KC) {
      const int64_t kc = min64(HEED_KC, P->k - pc);
      /* Later k blocks add onto what the first one wrote. */
      const float beta = pc == 0 ? P->beta : 1.0f;
      if (pack_hi > pack_lo) {
        const int64_t r0 = pack_lo * HEED_MR, r1 = min64(mc, pack_hi * HEED_MR);
        heed_pack_a(r1 - r0, kc, P->a + (ic + r0) * P->a_rs + pc * P->a_cs, P->a_rs, P->a_cs,
                    J->ap + r0 * kc);
      }
      barrier(nt);
      for (int64_t jc = n_lo; jc < n_hi; jc += HEED_NC) {
        const int64_t nc = min64(HEED_NC, n_hi - jc);
        heed_pack_b(kc, nc, P->b + pc * P->b_rs + jc * P->b_cs, P->b_rs, P->b_cs, Bp);
        for (int64_t ir = ir_lo; ir < ir_hi; ir++) {
          const int64_t i = ir * HEED_MR;
          const int mr = (int)min64(HEED_MR, mc - i);
          const float *ap = J->ap + i * kc;
          float *crow = P->c + (ic + i) * P->ldc + jc;
          for (int64_t j = 0; j < nc; j += HEED_NR) {
            const int nr = (int)min64(HEED_NR, nc - j);
            heed_gemm_micro(kc, ap, Bp + j * kc, crow + j, P->ldc, P->alpha, beta, mr, nr);
          }
        }
      }
      barrier(nt);
    }
  }
}

int heed_gemm_blocked(const heed_gemm_problem *P, int threads) {
  int nt = threads < 1 ? 1 : threads;
  const int64_t tiles_m = ceil_div(P->m, HEED_MR), tiles_n = ceil_div(P->n, HEED_NR);
  /* Splitting N keeps each thread's B private; it needs a couple of B panels per thread. */
  int split_n = tiles_n >= 2 * (int64_t)nt;
  if (!split_n && tiles_m < nt) nt = 1;
  if (nt == 1) split_n = 0;

  const int64_t kc_max = min64(P->k, HEED_KC);
  const int64_t ap_floats = ceil_div(min64(P->m, HEED_MC), HEED_MR) * HEED_MR * kc_max;
  const int64_t bp_floats = ceil_div(min64(P->n, HEED_NC), HEED_NR) * HEED_NR * kc_max;
  /* Round each region up to a cache line so every thread's panels start 64-byte aligned. */
  const int64_t ap_stride = (ap_floats + 15) & ~(int64_t)15;
  const int64_t bp_stride = (bp_floats + 15) & ~(int64_t)15;
  float *ws = workspace((size_t)(ap_stride + nt * bp_stride));
  if (ws == NULL) return HEED_ENOMEM;

  blocked_job J = {P, ws, ws + ap_stride, bp_stride, split_n};
  if (nt == 1) {
    worker(&J, 0, 1);
    return HEED_OK;
  }
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
  worker(&J, omp_get_thread_num(), omp_get_num_threads());
#else
  worker(&J, 0, 1);
#endif
  return HEED_OK;
}
