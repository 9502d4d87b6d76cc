/*
 * The one place elementwise kernels meet OpenMP: a range [0, n) is cut into one contiguous piece
 * per thread (static split: the pieces cost the same, and contiguous pieces keep streaming
 * access). Without OpenMP the pragma is ignored and everything runs on the calling thread.
 */
#include "heed.h"

int heed_threads_for(int64_t work) {
  return work >= heed_par_threshold() ? heed_threads() : 1;
}

void heed_parallel_for(int64_t n, int64_t work, heed_range_fn fn, void *ctx) {
  if (n <= 0) return;
  int nt = heed_threads_for(work);
  if (nt > n) nt = (int)n;
  if (nt <= 1) {
    fn(ctx, 0, n);
    return;
  }
#pragma omp parallel for num_threads(nt) schedule(static, 1)
  for (int t = 0; t < nt; t++) fn(ctx, n * t / nt, n * (t + 1) / nt);
}
