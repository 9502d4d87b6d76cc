/*
 * Additive (Bahdanau) attention scores, fused: s[b, i, j] = Σₐ v[a]·tanh(q[b, i, a] + k[b, j, a]).
 * The composition (a broadcast add into a [B, Tq, Tk, A] tensor, tanh, a product with v) makes
 * three passes over that tensor and stores it for the backward; here each energy row lives in
 * registers only, and the backward recomputes it (one tanh per element, cheaper than storing and
 * re-reading B·Tq·Tk·A floats). Each score's sum over a runs in float vector lanes (the js
 * reference sums in double; a double accumulator cost a third more time per score).
 */
#include <stdlib.h>
#include <string.h>

#include "heed.h"
#include "vmath.h"

/* Work units per energy element for heed_parallel_for (the tanh dominates). */
#define FWD_COST 4
#define BWD_COST 6

typedef struct {
  const float *q, *k, *v, *g;
  int64_t tq, tk, dim;
  float *scores, *dq, *dk, *dv_parts; /* dv_parts: one [dim] partial per batch row */
} additive_ctx;

/* The sum of a vector's lanes (once per score, so a store and a short loop are enough). */
static inline float lanes_sum(hv_f v) {
  float t[HV_WIDTH];
  hv_store(t, v);
  float s = 0.0f;
  for (int u = 0; u < HV_WIDTH; u++) s += t[u];
  return s;
}

/* tanh(q + k) over lanes [a, a + n) of one energy row. */
static inline hv_f energy(const float *qr, const float *kr, int64_t a, int n) {
  return hv_tanh(hv_add(hv_load_n(qr + a, n), hv_load_n(kr + a, n)));
}

/* Score rows [lo, hi) of the flattened [B·Tq]. */
static void forward_rows(void *arg, int64_t lo, int64_t hi) {
  const additive_ctx *C = arg;
  const int64_t tq = C->tq, tk = C->tk, dim = C->dim;
  for (int64_t row = lo; row < hi; row++) {
    const float *qr = C->q + row * dim;
    const float *kb = C->k + row / tq * tk * dim;
    for (int64_t j = 0; j < tk; j++) {
      const float *kr = kb + j * dim;
      hv_f s = hv_set1(0.0f);
      for (int64_t a = 0; a < dim; a += HV_WIDTH) {
        const int n = dim - a < HV_WIDTH ? (int)(dim - a) : HV_WIDTH;
        /* Inactive lanes load 0 for q, k and v, so they add tanh(0)·0 = 0. */
        s = hv_fma(hv_load_n(C->v + a, n), energy(qr, kr, a, n), s);
      }
      C->scores[row * tk + j] = lanes_sum(s);
    }
  }
}

/* Batch rows [lo, hi): each owns its dq and dk rows and its dv partial. */
static void backward_batches(void *arg, int64_t lo, int64_t hi) {
  const additive_ctx *C = arg;
  const int64_t tq = C->tq, tk = C->tk, dim = C->dim;
  for (int64_t b = lo; b < hi; b++) {
    float *dvp = C->dv_parts + b * dim;
    memset(dvp, 0, sizeof(float) * (size_t)dim);
    for (int64_t i = 0; i < tq; i++) {
      const int64_t row = b * tq + i;
      const float *qr = C->q + row * dim;
      float *dqr = C->dq + row * dim;
      for (int64_t j = 0; j < tk; j++) {
        const float *kr = C->k + (b * tk + j) * dim;
        float *dkr = C->dk + (b * tk + j) * dim;
        const hv_f g = hv_set1(C->g[row * tk + j]);
        for (int64_t a = 0; a < dim; a += HV_WIDTH) {
          const int n = dim - a < HV_WIDTH ? (int)(dim - a) : HV_WIDTH;
          const hv_f t = energy(qr, kr, a, n);
          const hv_f gt = hv_mul(g, hv_load_n(C->v + a, n));
          const hv_f e = hv_mul(gt, hv_sub(hv_set1(1.0f), hv_mul(t, t)));
          hv_store_n(dqr + a, hv_add(hv_load_n(dqr + a, n), e), n);
          hv_store_n(dkr + a, hv_add(hv_load_n(dkr + a, n), e), n);
          hv_store_n(dvp + a, hv_fma(g, t, hv_load_n(dvp + a, n)), n);
        }
      }
    }
  }
}

void heed_additive_scores(const float *q, const float *k, const float *v, int64_t batch,
                          int64_t tq, int64_t tk, int64_t dim, float *scores) {
  additive_ctx C = {.q = q, .k = k, .v = v, .tq = tq, .tk = tk, .dim = dim, .scores = scores};
  const int64_t rows = batch * tq;
  heed_parallel_for(rows, rows * tk * dim * FWD_COST, forward_rows, &C);
}

int heed_additive_scores_backward(const float *q, const float *k, const float *v, const float *g,
                                  int64_t batch, int64_t tq, int64_t tk, int64_t dim, float *dq,
                                  float *dk, float *dv) {
  if (batch <= 0 || dim <= 0) return HEED_OK;
  float *parts = malloc(sizeof(float) * (size_t)(batch * dim));
  if (parts == NULL) return HEED_ENOMEM;
  additive_ctx C = {.q = q, .k = k, .v = v, .g = g, .tq = tq, .tk = tk, .dim = dim,
                    .dq = dq, .dk = dk, .dv_parts = parts};
  heed_parallel_for(batch, batch * tq * tk * dim * BWD_COST, backward_batches, &C);
  for (int64_t b = 0; b < batch; b++)
    for (int64_t a = 0; a < dim; a++) dv[a] += parts[b * dim + a];
  free(parts);
  return HEED_OK;
}
