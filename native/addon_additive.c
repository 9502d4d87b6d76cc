/*
 * N-API wrappers of the fused additive attention scores (additive.c):
 *   additiveScores(q, k, v, scores, batch, tq, tk, dim)
 *   additiveScoresBackward(q, k, v, g, dq, dk, dv, batch, tq, tk, dim)
 * q, dq [B, Tq, A]; k, dk [B, Tk, A]; v, dv [A]; scores, g [B, Tq, Tk]. Every array is checked
 * to hold its shape, so a bad argument throws instead of reading out of bounds.
 */
#include "addon.h"
#include "heed.h"

typedef struct {
  int64_t batch, tq, tk, dim;
  int64_t q, k, scores; /* element counts: B·Tq·A, B·Tk·A, B·Tq·Tk */
} additive_dims;

/* batch, tq, tk and dim from argv[first…], with the element counts they imply. */
static bool read_dims(napi_env env, const char *K, const napi_value *argv, additive_dims *d) {
  if (!heed_get_int(env, K, argv[0], "batch", 0, HEED_MAX_DIM, &d->batch) ||
      !heed_get_int(env, K, argv[1], "tq", 0, HEED_MAX_DIM, &d->tq) ||
      !heed_get_int(env, K, argv[2], "tk", 0, HEED_MAX_DIM, &d->tk) ||
      !heed_get_int(env, K, argv[3], "dim", 0, HEED_MAX_DIM, &d->dim))
    return false;
  int64_t rows_q, rows_k;
  if (__builtin_mul_overflow(d->batch, d->tq, &rows_q) ||
      __builtin_mul_overflow(d->batch, d->tk, &rows_k) ||
      __builtin_mul_overflow(rows_q, d->dim, &d->q) ||
      __builtin_mul_overflow(rows_k, d->dim, &d->k) ||
      __builtin_mul_overflow(rows_q, d->tk, &d->scores)) {
    heed_throw(env, K, 0, "array extent overflows");
    return false;
  }
  return true;
}

static bool get_sized(napi_env env, const char *K, napi_value v, const char *name, int64_t need,
                      float **data) {
  int64_t len;
  return heed_get_f32(env, K, v, name, data, &len) && heed_check_fits(env, K, name, need, len);
}

napi_value heed_js_additive_scores(napi_env env, napi_callback_info info) {
  const char *K = "additiveScores";
  napi_value argv[8];
  additive_dims d;
  float *q, *k, *v, *scores;
  if (!heed_get_args(env, info, K, 8, argv) || !read_dims(env, K, argv + 4, &d) ||
      !get_sized(env, K, argv[0], "q", d.q, &q) || !get_sized(env, K, argv[1], "k", d.k, &k) ||
      !get_sized(env, K, argv[2], "v", d.dim, &v) ||
      !get_sized(env, K, argv[3], "scores", d.scores, &scores))
    return NULL;
  heed_additive_scores(q, k, v, d.batch, d.tq, d.tk, d.dim, scores);
  return NULL;
}

napi_value heed_js_additive_scores_backward(napi_env env, napi_callback_info info) {
  const char *K = "additiveScoresBackward";
  napi_value argv[11];
  additive_dims d;
  float *q, *k, *v, *g, *dq, *dk, *dv;
  if (!heed_get_args(env, info, K, 11, argv) || !read_dims(env, K, argv + 7, &d) ||
      !get_sized(env, K, argv[0], "q", d.q, &q) || !get_sized(env, K, argv[1], "k", d.k, &k) ||
      !get_sized(env, K, argv[2], "v", d.dim, &v) ||
      !get_sized(env, K, argv[3], "g", d.scores, &g) ||
      !get_sized(env, K, argv[4], "dq", d.q, &dq) || !get_sized(env, K, argv[5], "dk", d.k, &dk) ||
      !get_sized(env, K, argv[6], "dv", d.dim, &dv))
    return NULL;
  if (heed_additive_scores_backward(q, k, v, g, d.batch, d.tq, d.tk, d.dim, dq, dk, dv) != HEED_OK)
    napi_throw_error(env, NULL, "heed native additiveScoresBackward: out of memory");
  return NULL;
}
