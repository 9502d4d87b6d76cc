/*
 * Stress check of the thread pool (native/pool.c), built and run by src/backend/native/pool.test.ts:
 *   cc -O2 -pthread -DHEED_POOL_THREADS native/pool.c native/test/pool_check.c
 * Prints one line per failed check and exits 1 on any failure.
 *
 * Every task of every job must run exactly once, on a slot below the job's thread count, with
 * no two tasks of one job on the same slot at once, and the call must return only when all are
 * done. Jobs come back to back (workers awake), after pauses longer than the spin (workers
 * asleep), nested inside a task, and from two threads at once.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../heed.h"

#define MAX_TASKS 4096
#define MAX_SLOTS 8

typedef struct {
  _Atomic int runs[MAX_TASKS];
  _Atomic int busy[MAX_SLOTS];
  _Atomic int overlap, bad_slot;
  int threads, nested;
} job;

static _Atomic int failures;

static void fail(const char *what, int a, int b) {
  fprintf(stderr, "pool_check: %s (%d, %d)\n", what, a, b);
  atomic_fetch_add(&failures, 1);
}

static void inner_task(void *ctx, int64_t i, int slot) {
  _Atomic int *runs = ctx;
  if (slot != 0) atomic_fetch_add(&runs[MAX_TASKS - 1], 1000); /* nested calls run serially */
  atomic_fetch_add(&runs[i], 1);
}

static void task(void *ctx, int64_t i, int slot) {
  job *J = ctx;
  if (slot < 0 || slot >= J->threads || slot >= MAX_SLOTS) {
    atomic_fetch_add(&J->bad_slot, 1);
    return;
  }
  if (atomic_fetch_add(&J->busy[slot], 1) != 0) atomic_fetch_add(&J->overlap, 1);
  volatile double x = 0;
  for (int k = 0; k < (int)(i % 7) * 50; k++) x += k; /* uneven tasks */
  if (J->nested && i % 3 == 0) {
    _Atomic int inner[MAX_TASKS] = {0};
    heed_pool_run(J->threads, 5, inner_task, inner);
    for (int t = 0; t < 5; t++)
      if (atomic_load(&inner[t]) != 1) fail("nested task ran wrong number of times", t, inner[t]);
    if (atomic_load(&inner[MAX_TASKS - 1]) != 0) fail("nested task ran on a worker slot", 0, 0);
  }
  atomic_fetch_sub(&J->busy[slot], 1);
  atomic_fetch_add(&J->runs[i], 1);
}

static void pause_us(long us) {
  struct timespec ts = {0, us * 1000};
  nanosleep(&ts, NULL);
}

static void run_job(int threads, int tasks, int nested) {
  static _Thread_local job J;
  for (int i = 0; i < tasks; i++) atomic_store(&J.runs[i], 0);
  for (int s = 0; s < MAX_SLOTS; s++) atomic_store(&J.busy[s], 0);
  atomic_store(&J.overlap, 0);
  atomic_store(&J.bad_slot, 0);
  J.threads = threads;
  J.nested = nested;
  heed_pool_run(threads, tasks, task, &J);
  for (int i = 0; i < tasks; i++)
    if (atomic_load(&J.runs[i]) != 1) fail("task ran wrong number of times", i, J.runs[i]);
  if (atomic_load(&J.overlap)) fail("two tasks shared a slot at once", threads, tasks);
  if (atomic_load(&J.bad_slot)) fail("slot out of range", threads, tasks);
}

static void *series(void *arg) {
  const int seed = (int)(intptr_t)arg;
  static const int threads[] = {1, 2, 3, 4};
  static const int tasks[] = {1, 2, 3, 7, 64, 1000, MAX_TASKS - 1};
  for (int r = 0; r < 3000; r++) {
    const int t = threads[(r + seed) % 4], n = tasks[(r * 3 + seed) % 7];
    run_job(t, n, r % 11 == 0);
    if (r % 97 == 0) pause_us(2000); /* longer than the spin: workers fall asleep */
    if (atomic_load(&failures) > 20) break;
  }
  return NULL;
}

int main(void) {
  series((void *)0);
  pthread_t other;
  if (pthread_create(&other, NULL, series, (void *)1) != 0) return 2;
  series((void *)2);
  pthread_join(other, NULL);
  if (atomic_load(&failures) > 0) return 1;
  printf("pool_check: ok\n");
  return 0;
}
