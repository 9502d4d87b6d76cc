/*
 * heed's own thread pool: the one place kernels meet threads.
 *
 * A job is a count of independent tasks, cut into one contiguous share per thread. The caller
 * posts it, wakes any sleeping worker and starts claiming the tasks of its own share (the first)
 * at once; each worker claims from its own share, then everyone takes what is left of the
 * others' (one atomic counter per share). So the caller never waits for a worker to wake up or
 * to be scheduled: a worker that is slow to arrive finds the job done, and the caller only ever
 * waits for tasks a worker has already started. Fixed shares keep data in the core that wrote
 * it: GPT training steps on 2 threads took a median 3–5% less than with one shared counter,
 * measured step by step alternately with the two builds in one process. On 2 vCPUs of a KVM guest this matters more than anything else about threading:
 * waking a sleeping OpenMP worker (OMP_WAIT_POLICY=PASSIVE) cost 30–100 µs before the team could
 * start, and a spinning OpenMP team (its default) waits at every barrier for a teammate the
 * kernel has descheduled, which made training steps 2–20× slower next to other busy processes.
 *
 * After a job a worker keeps watching for the next one for HEED_POOL_SPIN_US (default below),
 * yielding the core to any other runnable thread between looks, then sleeps on a futex (a
 * condition variable elsewhere). It sleeps at once when a yield shows another thread wanted the
 * core: next to busy processes a watching worker only takes time from them and from the caller.
 * Measured with GPT training steps on 2 threads (median step, per run): next to four busy
 * processes 130–190 ms, against 182–189 watching the full 200 µs and 143–206 with OpenMP's
 * PASSIVE; next to one, 58–65 ms against 64–71 with PASSIVE; alone, unchanged (37–42 ms). Kernels of one training step follow each other within
 * microseconds, so during training a worker is nearly always awake when work arrives, and an
 * idle process stops using the core a fraction of a millisecond after its last kernel.
 *
 * One job runs at a time. A call made while another is in flight (a second JS thread using the
 * addon), and any call from inside a task, runs all of its tasks on the calling thread.
 */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "heed.h"

#if defined(HEED_POOL_THREADS)
#include <pthread.h>
#include <sched.h>
#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#define HEED_FUTEX 1
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ __volatile__("yield")
#else
#define CPU_RELAX() ((void)0)
#endif

/* How long an idle worker keeps looking for the next job before it sleeps. */
#define SPIN_US_DEFAULT 200
/* A sched_yield that returns later than this gave the core to another thread. */
#define YIELD_BUSY_NS 20000
/* Workers beyond this are never started (heed_set_threads allows up to 1024 for the count). */
#define MAX_WORKERS 255

typedef struct {
  /* The job; written by the caller only while no worker is inside (active == 0, open == 0). */
  heed_task_fn fn;
  void *ctx;
  int64_t tasks;
  int slots; /* threads the caller asked for: workers 1..slots-1 may join */
  /* Publication: gen changes once per job; open is 1 while tasks may be claimed. */
  _Atomic int gen, open, active, sleepers;
  atomic_flag busy;
  pthread_mutex_t start_lock;
  int started; /* workers created so far */
  int64_t spin_ns;
#ifndef HEED_FUTEX
  pthread_mutex_t sleep_lock;
  pthread_cond_t wake;
#endif
} pool_t;

/* The next unclaimed task of each slot's share, one cache line each. */
typedef struct {
  _Alignas(64) _Atomic int64_t next;
} share_t;
static share_t g_shares[MAX_WORKERS + 1];

static pool_t g_pool = {.busy = ATOMIC_FLAG_INIT,
                        .start_lock = PTHREAD_MUTEX_INITIALIZER,
                        .spin_ns = (int64_t)SPIN_US_DEFAULT * 1000
#ifndef HEED_FUTEX
                        ,
                        .sleep_lock = PTHREAD_MUTEX_INITIALIZER,
                        .wake = PTHREAD_COND_INITIALIZER
#endif
};

/* Set in pool workers and in a caller while its job runs: nested calls run serially. */
static _Thread_local int t_in_pool = 0;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_until_changed(pool_t *P, int seen) {
#ifdef HEED_FUTEX
  syscall(SYS_futex, (int *)&P->gen, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
#else
  pthread_mutex_lock(&P->sleep_lock);
  while (atomic_load(&P->gen) == seen) pthread_cond_wait(&P->wake, &P->sleep_lock);
  pthread_mutex_unlock(&P->sleep_lock);
#endif
}

static void wake_all(pool_t *P) {
#ifdef HEED_FUTEX
  syscall(SYS_futex, (int *)&P->gen, FUTEX_WAKE_PRIVATE, MAX_WORKERS, NULL, NULL, 0);
#else
  pthread_mutex_lock(&P->sleep_lock);
  pthread_cond_broadcast(&P->wake);
  pthread_mutex_unlock(&P->sleep_lock);
#endif
}

/* The first task of slot s's share: the shares cut [0, tasks) into `slots` contiguous runs. */
static int64_t share_start(const pool_t *P, int s) { return P->tasks * s / P->slots; }

/* Claims and runs the tasks of one share until none is left in it. */
static void claim_share(pool_t *P, int share, int slot) {
  const int64_t end = share_start(P, share + 1);
  for (;;) {
    const int64_t i = atomic_fetch_add(&g_shares[share].next, 1);
    if (i >= end) return;
    P->fn(P->ctx, i, slot);
  }
}

/* Claims and runs tasks of the open job until none is left: the slot's own share first, then
 * what is left of the others'. Slot s always starts on the same share (the caller on the first),
 * so consecutive kernels split the same way give each thread the data it wrote last, still in
 * its core's cache: a product's first rows, say, then the same rows' activation. */
static void claim_tasks(pool_t *P, int slot) {
  for (int o = 0; o < P->slots; o++) claim_share(P, (slot + o) % P->slots, slot);
}

/* Waits until gen differs from seen: spinning (and yielding) for spin_ns, then asleep. */
static int wait_for_job(pool_t *P, int seen) {
  int64_t t = now_ns();
  const int64_t until = t + P->spin_ns;
  for (int round = 0;; round++) {
    const int g = atomic_load(&P->gen);
    if (g != seen) return g;
    if (round < 64) {
      CPU_RELAX();
      continue;
    }
    sched_yield();
    const int64_t after = now_ns();
    /* A yield that took long ran another thread: the core is wanted, so stop looking. */
    if (after >= until || after - t > YIELD_BUSY_NS) break;
    t = after;
  }
  atomic_fetch_add(&P->sleepers, 1);
  for (;;) {
    const int g = atomic_load(&P->gen);
    if (g != seen) {
      atomic_fetch_sub(&P->sleepers, 1);
      return g;
    }
    sleep_until_changed(P, seen);
  }
}

static void *worker_main(void *arg) {
  pool_t *P = &g_pool;
  const int slot = (int)(intptr_t)arg;
  t_in_pool = 1;
  int seen = atomic_load(&P->gen);
  for (;;) {
    const int g = wait_for_job(P, seen);
    seen = g;
    /* Enter, then check the job is still open: the caller closes it and then waits for
     * active == 0, so either it sees this worker inside or this worker sees it closed. */
    atomic_fetch_add(&P->active, 1);
    if (atomic_load(&P->open) && slot < P->slots) claim_tasks(P, slot);
    atomic_fetch_sub(&P->active, 1);
  }
  return NULL;
}

/* Starts workers up to slots - 1 of them; returns how many exist. */
static int ensure_workers(pool_t *P, int slots) {
  int want = slots - 1 < MAX_WORKERS ? slots - 1 : MAX_WORKERS;
  if (P->started >= want) return P->started;
  pthread_mutex_lock(&P->start_lock);
  if (P->started == 0) {
    const char *env = getenv("HEED_POOL_SPIN_US");
    if (env != NULL && *env != '\0') {
      char *end = NULL;
      long long v = strtoll(env, &end, 10);
      if (end != NULL && *end == '\0' && v >= 0) P->spin_ns = (int64_t)v * 1000;
    }
  }
  while (P->started < want) {
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    const int rc = pthread_create(&th, &attr, worker_main, (void *)(intptr_t)(P->started + 1));
    pthread_attr_destroy(&attr);
    if (rc != 0) break;
    P->started++;
  }
  pthread_mutex_unlock(&P->start_lock);
  return P->started;
}

static void spin_until_zero(_Atomic int *value) {
  for (int round = 0; atomic_load(value) != 0; round++) {
    if (round < 256)
      CPU_RELAX();
    else
      sched_yield();
  }
}

/* Every task on the calling thread, in order; calls from inside them stay on it too. */
static void run_here(int64_t tasks, heed_task_fn fn, void *ctx) {
  const int outer = t_in_pool;
  t_in_pool = 1;
  for (int64_t i = 0; i < tasks; i++) fn(ctx, i, 0);
  t_in_pool = outer;
}

void heed_pool_run(int threads, int64_t tasks, heed_task_fn fn, void *ctx) {
  if (tasks <= 0) return;
  pool_t *P = &g_pool;
  if (threads > tasks) threads = (int)tasks;
  if (threads <= 1 || t_in_pool || atomic_flag_test_and_set(&P->busy)) {
    run_here(tasks, fn, ctx);
    return;
  }
  const int workers = ensure_workers(P, threads);
  if (workers == 0) {
    atomic_flag_clear(&P->busy);
    run_here(tasks, fn, ctx);
    return;
  }
  if (threads > workers + 1) threads = workers + 1;
  P->fn = fn;
  P->ctx = ctx;
  P->tasks = tasks;
  P->slots = threads;
  for (int s = 0; s < threads; s++)
    atomic_store_explicit(&g_shares[s].next, share_start(P, s), memory_order_relaxed);
  atomic_store(&P->open, 1);
  atomic_fetch_add(&P->gen, 1);
  if (atomic_load(&P->sleepers) > 0) wake_all(P);
  t_in_pool = 1;
  claim_tasks(P, 0);
  t_in_pool = 0;
  /* Every task is claimed. Close the job, then wait for the workers inside it: they leave only
   * when their last task is done. */
  atomic_store(&P->open, 0);
  spin_until_zero(&P->active);
  atomic_flag_clear(&P->busy);
}

#else /* no threads: everything on the calling thread */

void heed_pool_run(int threads, int64_t tasks, heed_task_fn fn, void *ctx) {
  (void)threads;
  for (int64_t i = 0; i < tasks; i++) fn(ctx, i, 0);
}

#endif
