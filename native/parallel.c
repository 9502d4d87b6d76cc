/*
 * Elementwise kernels split a range [0, n) into contiguous pieces run on the thread pool
 * (pool.c). There are a few more pieces than threads: a worker that arrives late, or is briefly
 * descheduled, then costs a piece's worth of time rather than half the kernel. Pieces depend only
 * on n and the thread count, and every kernel's result is independent of them.
 */
#include "heed.h"

/* Pieces per thread. */
#define PIECES 4

int heed_threads_for(int64_t work) {
  return work >= heed_par_threshold() ? heed_threads() : 1;
}

typedef struct {
  heed_range_fn fn;
  void *ctx;
  int64_t n, pieces;
} range_job;

static void piece(void *ctx, int64_t i, int slot) {
  (void)slot;
  const range_job *J = ctx;
  J->fn(J->ctx, J->n * i / J->pieces, J->n * (i + 1) / J->pieces);
}

void heed_parallel_for(int64_t n, int64_t work, heed_range_fn fn, void *ctx) {
  if (n <= 0) return;
  const int nt = heed_threads_for(work);
  if (nt <= 1 || n == 1) {
    fn(ctx, 0, n);
    return;
  }
  const int64_t pieces = n < (int64_t)nt * PIECES ? n : (int64_t)nt * PIECES;
  range_job J = {fn, ctx, n, pieces};
  heed_pool_run(nt, pieces, piece, &J);
}
