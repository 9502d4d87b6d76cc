/*
 * Sum/max over the middle axis of x viewed as [outer, size, inner]. Sums accumulate in double
 * (as the js backend does) so results agree to the last float bit in practice. Work is cut into
 * tasks of (outer index, chunk of inner) so both shapes of reduction use all threads.
 */
#include <math.h>

#include "heed.h"

/* Inner-axis chunk: a stack-sized accumulator row, long enough to vectorise well. */
#define CHUNK 256

typedef struct {
  int op;
  const float *x;
  int64_t size, inner, chunks;
  float *out;
  int32_t *argmax;
} reduce_ctx;

static float sum_contiguous(const float *x, int64_t n) {
  /* Independent partial sums break the add-latency chain; order differences vanish in double. */
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; j++) s[j] += x[i + j];
  for (; i < n; i++) s[0] += x[i];
  return (float)(((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])));
}

/* The first NaN is the maximum; otherwise the first occurrence of the largest value. */
static void max_contiguous(const float *x, int64_t n, float *best_out, int32_t *at_out) {
  float best = -INFINITY;
  int64_t at = 0;
  for (int64_t r = 0; r < n; r++) {
    const float v = x[r];
    if (v > best) {
      best = v;
      at = r;
    } else if (isnan(v)) {
      best = v;
      at = r;
      break;
    }
  }
  *best_out = best;
  if (at_out != NULL) *at_out = (int32_t)at;
}

static void reduce_tasks(void *arg, int64_t lo, int64_t hi) {
  const reduce_ctx *C = arg;
  const int64_t size = C->size, inner = C->inner;
  for (int64_t t = lo; t < hi; t++) {
    const int64_t o = t / C->chunks, c0 = (t % C->chunks) * CHUNK;
    const int64_t w = inner - c0 < CHUNK ? inner - c0 : CHUNK;
    const float *x = C->x + o * size * inner + c0;
    float *out = C->out + o * inner + c0;
    int32_t *am = C->argmax != NULL ? C->argmax + o * inner + c0 : NULL;
    if (inner == 1) {
      if (C->op == HEED_SUM)
        out[0] = sum_contiguous(x, size);
      else
        max_contiguous(x, size, out, am);
      continue;
    }
    if (C->op == HEED_SUM) {
      double acc[CHUNK];
      for (int64_t j = 0; j < w; j++) acc[j] = 0.0;
      for (int64_t r = 0; r < size; r++) {
        const float *row = x + r * inner;
        for (int64_t j = 0; j < w; j++) acc[j] += row[j];
      }
      for (int64_t j = 0; j < w; j++) out[j] = (float)acc[j];
    } else {
      float best[CHUNK];
      int32_t at[CHUNK];
      for (int64_t j = 0; j < w; j++) {
        best[j] = -INFINITY;
        at[j] = 0;
      }
      for (int64_t r = 0; r < size; r++) {
        const float *row = x + r * inner;
        for (int64_t j = 0; j < w; j++) {
          const float v = row[j];
          /* Once best is NaN nothing replaces it, which keeps the first NaN. */
          if (v > best[j] || (isnan(v) && !isnan(best[j]))) {
            best[j] = v;
            at[j] = (int32_t)r;
          }
        }
      }
      for (int64_t j = 0; j < w; j++) out[j] = best[j];
      if (am != NULL)
        for (int64_t j = 0; j < w; j++) am[j] = at[j];
    }
  }
}

void heed_reduce(int op, const float *x, int64_t outer, int64_t size, int64_t inner, float *out,
                 int32_t *argmax) {
  if (outer <= 0 || inner <= 0) return;
  const int64_t chunks = (inner + CHUNK - 1) / CHUNK;
  reduce_ctx C = {op, x, size, inner, chunks, out, argmax};
  heed_parallel_for(outer * chunks, outer * size * inner, reduce_tasks, &C);
}
