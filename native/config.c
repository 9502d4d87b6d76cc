/*
 * Process-wide settings: how many threads kernels may use, which GEMM runs, and what the build
 * compiled in. Defaults come from the machine (online cores, narrowed by CPU affinity) and the
 * HEED_NUM_THREADS environment variable.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <unistd.h>
#ifdef __linux__
#include <sched.h>
#endif
#ifdef HEED_HAVE_OPENBLAS
#include <cblas.h>
#endif

#include "gemm_kernel.h"
#include "heed.h"

static int g_threads = 1;
static int g_use_openblas = 0;

/* Cores this process may actually run on: a container or taskset can allow fewer than are online. */
static int cores_available(void) {
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  int n = online > 0 ? (int)online : 1;
#ifdef __linux__
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int allowed = CPU_COUNT(&set);
    if (allowed > 0 && allowed < n) n = allowed;
  }
#endif
  return n;
}

static int64_t g_par_threshold = HEED_PAR_THRESHOLD_DEFAULT;

int64_t heed_par_threshold(void) { return g_par_threshold; }

void heed_config_init(void) {
  const char *par = getenv("HEED_PAR_THRESHOLD");
  if (par != NULL && *par != '\0') {
    char *end = NULL;
    long long v = strtoll(par, &end, 10);
    if (end != NULL && *end == '\0' && v >= 1) g_par_threshold = (int64_t)v;
  }
  int n = cores_available();
  const char *env = getenv("HEED_NUM_THREADS");
  if (env != NULL && *env != '\0') {
    char *end = NULL;
    long v = strtol(env, &end, 10);
    if (end != NULL && *end == '\0' && v >= 1 && v <= 1024) n = (int)v;
  }
  heed_set_threads(n);
#ifdef HEED_HAVE_OPENBLAS
  g_use_openblas = 1;
#endif
}

/* Without the pool every kernel runs on the calling thread, so report (and use) one thread. */
int heed_threads(void) {
#ifdef HEED_POOL_THREADS
  return g_threads;
#else
  return 1;
#endif
}

void heed_set_threads(int n) {
  g_threads = n < 1 ? 1 : n;
#ifdef HEED_HAVE_OPENBLAS
  /* OpenBLAS runs single-threaded on heed's pool (gemm.c explains why); its own pool would
   * spin-wait against heed's. Only set it once: each call that changes the count wakes
   * OpenBLAS's idle threads into a spin. */
  if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
#endif
}

int heed_openblas_compiled(void) {
#ifdef HEED_HAVE_OPENBLAS
  return 1;
#else
  return 0;
#endif
}

int heed_gemm_uses_openblas(void) { return g_use_openblas; }

void heed_set_gemm_openblas(int on) { g_use_openblas = on && heed_openblas_compiled(); }

const char *heed_simd_name(void) { return HEED_SIMD_NAME; }
