/*
 * N-API wrappers of the row-structured kernels: reduce, softmax, softmaxBackward,
 * layerNormForward, layerNormBackward, copy, gatherRows, scatterAddRows. Row indices are
 * checked here so a bad index throws instead of writing outside the array.
 */
#include "addon.h"
#include "heed.h"

/* x · y, throwing a RangeError on overflow. */
static bool mul_checked(napi_env env, const char *K, int64_t x, int64_t y, int64_t *out) {
  if (__builtin_mul_overflow(x, y, out)) {
    heed_throw(env, K, 0, "array extent overflows");
    return false;
  }
  return true;
}

napi_value heed_js_reduce(napi_env env, napi_callback_info info) {
  const char *K = "reduce";
  napi_value argv[7];
  int64_t op, outer, size, inner, lx, lo, la = 0, n_in, n_out;
  float *x, *out;
  int32_t *argmax = NULL;
  napi_valuetype t;
  if (!heed_get_args(env, info, K, 7, argv) ||
      !heed_get_int(env, K, argv[0], "op", 0, HEED_REDUCE_OPS - 1, &op) ||
      !heed_get_f32(env, K, argv[1], "x", &x, &lx) ||
      !heed_get_int(env, K, argv[2], "outer", 0, HEED_MAX_DIM, &outer) ||
      !heed_get_int(env, K, argv[3], "size", 0, HEED_MAX_DIM, &size) ||
      !heed_get_int(env, K, argv[4], "inner", 0, HEED_MAX_DIM, &inner) ||
      !heed_get_f32(env, K, argv[5], "out", &out, &lo) ||
      napi_typeof(env, argv[6], &t) != napi_ok)
    return NULL;
  if (t != napi_null && t != napi_undefined &&
      !heed_get_i32(env, K, argv[6], "argmax", &argmax, &la))
    return NULL;
  if (!mul_checked(env, K, outer, inner, &n_out) || !mul_checked(env, K, n_out, size, &n_in) ||
      !heed_check_fits(env, K, "x", n_in, lx) || !heed_check_fits(env, K, "out", n_out, lo) ||
      (argmax != NULL && !heed_check_fits(env, K, "argmax", n_out, la)))
    return NULL;
  heed_reduce((int)op, x, outer, size, inner, out, argmax);
  return NULL;
}

/* Shared by softmax (x, rows, cols, out, log) and softmaxBackward (y, g, rows, cols, out, log). */
static napi_value softmax_common(napi_env env, napi_callback_info info, int backward) {
  const char *K = backward ? "softmaxBackward" : "softmax";
  const size_t argc = backward ? 6 : 5;
  napi_value argv[6];
  int64_t rows, cols, lx, lg = 0, lo, n;
  float *x, *g = NULL, *out;
  bool log;
  const int r = backward ? 2 : 1; /* index of `rows` */
  if (!heed_get_args(env, info, K, argc, argv) ||
      !heed_get_f32(env, K, argv[0], backward ? "y" : "x", &x, &lx) ||
      (backward && !heed_get_f32(env, K, argv[1], "g", &g, &lg)) ||
      !heed_get_int(env, K, argv[r], "rows", 0, HEED_MAX_DIM, &rows) ||
      !heed_get_int(env, K, argv[r + 1], "cols", 0, HEED_MAX_DIM, &cols) ||
      !heed_get_f32(env, K, argv[r + 2], "out", &out, &lo) ||
      !heed_get_bool(env, K, argv[r + 3], "log", &log) || !mul_checked(env, K, rows, cols, &n) ||
      !heed_check_fits(env, K, backward ? "y" : "x", n, lx) ||
      (backward && !heed_check_fits(env, K, "g", n, lg)) || !heed_check_fits(env, K, "out", n, lo))
    return NULL;
  if (backward)
    heed_softmax_backward(x, g, rows, cols, out, log);
  else
    heed_softmax(x, rows, cols, out, log);
  return NULL;
}

napi_value heed_js_softmax(napi_env env, napi_callback_info info) {
  return softmax_common(env, info, 0);
}

napi_value heed_js_softmax_backward(napi_env env, napi_callback_info info) {
  return softmax_common(env, info, 1);
}

/* A float32 array of at least `need` elements, or NULL for null/undefined when `optional`. */
static bool array_of(napi_env env, const char *K, napi_value v, const char *name, int64_t need,
                     bool optional, float **out) {
  napi_valuetype t;
  int64_t len;
  *out = NULL;
  if (optional) {
    if (napi_typeof(env, v, &t) != napi_ok) return false;
    if (t == napi_null || t == napi_undefined) return true;
  }
  return heed_get_f32(env, K, v, name, out, &len) && heed_check_fits(env, K, name, need, len);
}

/* Reads rows and cols from argv[at], argv[at + 1] and sets *n = rows·cols. */
static bool rows_cols(napi_env env, const char *K, const napi_value *argv, int at, int64_t *rows,
                      int64_t *cols, int64_t *n) {
  return heed_get_int(env, K, argv[at], "rows", 0, HEED_MAX_DIM, rows) &&
         heed_get_int(env, K, argv[at + 1], "cols", 0, HEED_MAX_DIM, cols) &&
         mul_checked(env, K, *rows, *cols, n);
}

/* layerNormForward(x, weight | null, bias | null, y, mean, rstd, rows, cols, eps) */
napi_value heed_js_layer_norm_forward(napi_env env, napi_callback_info info) {
  const char *K = "layerNormForward";
  napi_value argv[9];
  int64_t rows, cols, n;
  float *x, *w, *b, *y, *mean, *rstd;
  double eps;
  if (!heed_get_args(env, info, K, 9, argv) || !rows_cols(env, K, argv, 6, &rows, &cols, &n) ||
      !heed_get_number(env, K, argv[8], "eps", &eps) ||
      !array_of(env, K, argv[0], "x", n, false, &x) ||
      !array_of(env, K, argv[1], "weight", cols, true, &w) ||
      !array_of(env, K, argv[2], "bias", cols, true, &b) ||
      !array_of(env, K, argv[3], "y", n, false, &y) ||
      !array_of(env, K, argv[4], "mean", rows, false, &mean) ||
      !array_of(env, K, argv[5], "rstd", rows, false, &rstd))
    return NULL;
  heed_layer_norm_forward(x, rows, cols, w, b, (float)eps, y, mean, rstd);
  return NULL;
}

/* layerNormBackward(x, g, mean, rstd, weight | null, dx, dWeight | null, dBias | null, rows,
 * cols) */
napi_value heed_js_layer_norm_backward(napi_env env, napi_callback_info info) {
  const char *K = "layerNormBackward";
  napi_value argv[10];
  int64_t rows, cols, n;
  float *x, *g, *mean, *rstd, *w, *dx, *dw, *db;
  if (!heed_get_args(env, info, K, 10, argv) || !rows_cols(env, K, argv, 8, &rows, &cols, &n) ||
      !array_of(env, K, argv[0], "x", n, false, &x) ||
      !array_of(env, K, argv[1], "g", n, false, &g) ||
      !array_of(env, K, argv[2], "mean", rows, false, &mean) ||
      !array_of(env, K, argv[3], "rstd", rows, false, &rstd) ||
      !array_of(env, K, argv[4], "weight", cols, true, &w) ||
      !array_of(env, K, argv[5], "dx", n, false, &dx) ||
      !array_of(env, K, argv[6], "dWeight", cols, true, &dw) ||
      !array_of(env, K, argv[7], "dBias", cols, true, &db))
    return NULL;
  if (heed_layer_norm_backward(x, g, mean, rstd, rows, cols, w, dx, dw, db) != HEED_OK)
    napi_throw_error(env, NULL, "heed native layerNormBackward: out of memory");
  return NULL;
}

/* Every element a strided view can reach must lie inside its array. */
static bool check_view(napi_env env, const char *name, int nd, const int64_t *shape,
                       int64_t offset, const int64_t *strides, int64_t len) {
  int64_t lo = offset, hi = offset, step;
  for (int d = 0; d < nd; d++) {
    if (__builtin_mul_overflow(shape[d] - 1, strides[d], &step) ||
        __builtin_add_overflow(step > 0 ? hi : lo, step, step > 0 ? &hi : &lo)) {
      heed_throw(env, "copy", 0, "'%s' extent overflows", name);
      return false;
    }
  }
  if (lo < 0 || hi >= len) {
    heed_throw(env, "copy", 0, "view '%s' reaches elements [%lld, %lld] of an array of %lld",
               name, (long long)lo, (long long)hi, (long long)len);
    return false;
  }
  return true;
}

/* meta = [ndim, srcOffset, dstOffset, shape..., srcStrides..., dstStrides...] */
napi_value heed_js_copy(napi_env env, napi_callback_info info) {
  const char *K = "copy";
  napi_value argv[3];
  float *src, *dst;
  double *meta;
  int64_t ls, ld, lm, nd, so, dof, total;
  int64_t shape[HEED_MAX_DIMS], ss[HEED_MAX_DIMS], ds[HEED_MAX_DIMS];
  if (!heed_get_args(env, info, K, 3, argv) || !heed_get_f32(env, K, argv[0], "src", &src, &ls) ||
      !heed_get_f32(env, K, argv[1], "dst", &dst, &ld) ||
      !heed_get_f64(env, K, argv[2], "meta", &meta, &lm))
    return NULL;
  if (lm < 3) {
    heed_throw(env, K, 0, "'meta' needs at least 3 slots");
    return NULL;
  }
  if (!heed_check_int(env, K, meta[0], "ndim", 0, HEED_MAX_DIMS, &nd) ||
      !heed_check_int(env, K, meta[1], "srcOffset", 0, HEED_MAX_EXTENT, &so) ||
      !heed_check_int(env, K, meta[2], "dstOffset", 0, HEED_MAX_EXTENT, &dof))
    return NULL;
  if (lm < 3 + 3 * nd) {
    heed_throw(env, K, 0, "'meta' needs %lld slots", (long long)(3 + 3 * nd));
    return NULL;
  }
  for (int d = 0; d < nd; d++)
    if (!heed_check_int(env, K, meta[3 + d], "shape entry", 0, HEED_MAX_DIM, &shape[d]) ||
        !heed_check_int(env, K, meta[3 + nd + d], "src stride", -HEED_MAX_EXTENT,
                        HEED_MAX_EXTENT, &ss[d]) ||
        !heed_check_int(env, K, meta[3 + 2 * nd + d], "dst stride", -HEED_MAX_EXTENT,
                        HEED_MAX_EXTENT, &ds[d]))
      return NULL;
  if (!heed_numel(env, K, shape, (int)nd, "shape", &total)) return NULL;
  if (total == 0) return NULL;
  if (!check_view(env, "src", (int)nd, shape, so, ss, ls) ||
      !check_view(env, "dst", (int)nd, shape, dof, ds, ld))
    return NULL;
  heed_copy((int)nd, shape, src + so, ss, dst + dof, ds);
  return NULL;
}

/* Shared by gatherRows (x, cols, index, out) and scatterAddRows (g, cols, index, out). */
static napi_value rows_common(napi_env env, napi_callback_info info, int scatter) {
  const char *K = scatter ? "scatterAddRows" : "gatherRows";
  napi_value argv[4];
  float *src, *out;
  int32_t *index;
  int64_t ls, lo, li, cols, n;
  if (!heed_get_args(env, info, K, 4, argv) ||
      !heed_get_f32(env, K, argv[0], scatter ? "g" : "x", &src, &ls) ||
      !heed_get_int(env, K, argv[1], "cols", 0, HEED_MAX_DIM, &cols) ||
      !heed_get_i32(env, K, argv[2], "index", &index, &li) ||
      !heed_get_f32(env, K, argv[3], "out", &out, &lo) || !mul_checked(env, K, li, cols, &n) ||
      !heed_check_fits(env, K, scatter ? "g" : "out", n, scatter ? ls : lo))
    return NULL;
  if (cols == 0) return NULL;
  /* Rows of the indexed array: x for a gather, out for a scatter. */
  const int64_t rows = (scatter ? lo : ls) / cols;
  for (int64_t i = 0; i < li; i++)
    if (index[i] < 0 || index[i] >= rows) {
      heed_throw(env, K, 0, "index[%lld] = %d is outside [0, %lld)", (long long)i, index[i],
                 (long long)rows);
      return NULL;
    }
  if (scatter)
    heed_scatter_add_rows(src, cols, index, li, out);
  else
    heed_gather_rows(src, cols, index, li, out);
  return NULL;
}

napi_value heed_js_gather_rows(napi_env env, napi_callback_info info) {
  return rows_common(env, info, 0);
}

napi_value heed_js_scatter_add_rows(napi_env env, napi_callback_info info) {
  return rows_common(env, info, 1);
}
