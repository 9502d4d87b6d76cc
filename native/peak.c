/*
 * Measured fp32 peak: every thread runs a loop of independent FMAs (12 accumulators, 3× the
 * FMA latency of current cores) at the widest vector width the build targets, so benchmarks can
 * report GEMM speed as a fraction of what this machine actually sustains.
 */
#include <time.h>
#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif
#include <math.h>

#include "heed.h"

#define ACCS 12
#define ITERS (1 << 21)
#define PEAK_MAX_THREADS 256

#if defined(__AVX512F__)
#define LANES 16
typedef __m512 vec;
#define VSET(x) _mm512_set1_ps(x)
#define VFMA(a, b, c) _mm512_fmadd_ps(a, b, c)
static float vsum(vec v) { return _mm512_reduce_add_ps(v); }
#elif defined(__AVX2__) && defined(__FMA__)
#define LANES 8
typedef __m256 vec;
#define VSET(x) _mm256_set1_ps(x)
#define VFMA(a, b, c) _mm256_fmadd_ps(a, b, c)
static float vsum(vec v) {
  float t[8];
  _mm256_storeu_ps(t, v);
  return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}
#else
#define LANES 1
typedef float vec;
#define VSET(x) (x)
#define VFMA(a, b, c) fmaf(a, b, c)
static float vsum(vec v) { return v; }
#endif

/* The loop converges to 1 (acc·m + a with m + a = 1), so it never overflows or goes subnormal. */
static float fma_loop(void) {
  vec acc[ACCS];
  for (int i = 0; i < ACCS; i++) acc[i] = VSET(0.5f + 0.01f * (float)i);
  const vec m = VSET(0.999f), a = VSET(0.001f);
  for (int it = 0; it < ITERS; it++)
    for (int i = 0; i < ACCS; i++) acc[i] = VFMA(acc[i], m, a);
  float s = 0.0f;
  for (int i = 0; i < ACCS; i++) s += vsum(acc[i]);
  return s;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
  float sums[PEAK_MAX_THREADS];
} peak_job;

static void peak_task(void *ctx, int64_t i, int slot) {
  peak_job *J = ctx;
  J->sums[i] = fma_loop();
}

/* Best of three timed rounds, in GFLOPS summed over `threads` threads; `sink` defeats DCE. The
 * pool's caller starts at once and a sleeping worker joins tens of microseconds later, a small
 * part of each thread's ~20 ms loop. */
double heed_peak_gflops(int threads, float *sink) {
  if (threads > PEAK_MAX_THREADS) threads = PEAK_MAX_THREADS;
  if (threads < 1) threads = 1;
  double best = 0.0;
  for (int round = 0; round < 3; round++) {
    peak_job J;
    const double t0 = now();
    heed_pool_run(threads, threads, peak_task, &J);
    const double secs = now() - t0;
    for (int t = 0; t < threads; t++) *sink += J.sums[t];
    const double flops = 2.0 * LANES * ACCS * (double)ITERS * threads;
    if (secs > 0 && flops / secs > best) best = flops / secs;
  }
  return best * 1e-9;
}
