/*
 * N-API wrappers of the elementwise kernels: binary, where, unary, unaryBackward, fill. Shapes
 * arrive packed in a reused Float64Array ("meta": rank, then each shape in turn) so a call
 * allocates nothing on the JS side.
 */
#include "addon.h"
#include "heed.h"

/* Reads meta = [ndim, shape_0..., shape_1..., ...] holding `count` shapes of equal rank. */
static bool read_shapes(napi_env env, const char *K, const double *meta, int64_t mlen, int count,
                        int *ndim, int64_t shapes[][HEED_MAX_DIMS]) {
  int64_t nd;
  if (mlen < 1 || !heed_check_int(env, K, meta[0], "ndim", 0, HEED_MAX_DIMS, &nd)) {
    if (mlen < 1) heed_throw(env, K, 0, "'meta' is empty");
    return false;
  }
  if (mlen < 1 + count * nd) {
    heed_throw(env, K, 0, "'meta' needs %lld slots, has %lld", (long long)(1 + count * nd),
               (long long)mlen);
    return false;
  }
  for (int s = 0; s < count; s++)
    for (int d = 0; d < nd; d++)
      if (!heed_check_int(env, K, meta[1 + s * nd + d], "shape entry", 0, HEED_MAX_DIM,
                          &shapes[s][d]))
        return false;
  *ndim = (int)nd;
  return true;
}

/* Input `shape` must broadcast to `out` (each axis equal or 1) and fit its array. */
static bool check_input(napi_env env, const char *K, const char *name, const int64_t *shape,
                        const int64_t *out, int nd, int64_t len) {
  for (int d = 0; d < nd; d++)
    if (shape[d] != out[d] && shape[d] != 1) {
      heed_throw(env, K, 0, "'%s' axis %d has size %lld, which does not broadcast to %lld", name,
                 d, (long long)shape[d], (long long)out[d]);
      return false;
    }
  int64_t n;
  return heed_numel(env, K, shape, nd, name, &n) && heed_check_fits(env, K, name, n, len);
}

napi_value heed_js_binary(napi_env env, napi_callback_info info) {
  const char *K = "binary";
  napi_value argv[5];
  int64_t op, la, lb, lo, lm;
  float *a, *b, *out;
  double *meta;
  int nd;
  int64_t shapes[3][HEED_MAX_DIMS];
  if (!heed_get_args(env, info, K, 5, argv) ||
      !heed_get_int(env, K, argv[0], "op", 0, HEED_BINARY_OPS - 1, &op) ||
      !heed_get_f32(env, K, argv[1], "a", &a, &la) || !heed_get_f32(env, K, argv[2], "b", &b, &lb) ||
      !heed_get_f32(env, K, argv[3], "out", &out, &lo) ||
      !heed_get_f64(env, K, argv[4], "meta", &meta, &lm) ||
      !read_shapes(env, K, meta, lm, 3, &nd, shapes) ||
      !check_input(env, K, "out", shapes[0], shapes[0], nd, lo) ||
      !check_input(env, K, "a", shapes[1], shapes[0], nd, la) ||
      !check_input(env, K, "b", shapes[2], shapes[0], nd, lb))
    return NULL;
  heed_binary((int)op, nd, shapes[0], out, a, shapes[1], b, shapes[2]);
  return NULL;
}

napi_value heed_js_where(napi_env env, napi_callback_info info) {
  const char *K = "where";
  napi_value argv[5];
  int64_t lc, la, lb, lo, lm;
  uint8_t *cond;
  float *a, *b, *out;
  double *meta;
  int nd;
  int64_t shapes[4][HEED_MAX_DIMS];
  if (!heed_get_args(env, info, K, 5, argv) ||
      !heed_get_u8(env, K, argv[0], "cond", &cond, &lc) ||
      !heed_get_f32(env, K, argv[1], "a", &a, &la) || !heed_get_f32(env, K, argv[2], "b", &b, &lb) ||
      !heed_get_f32(env, K, argv[3], "out", &out, &lo) ||
      !heed_get_f64(env, K, argv[4], "meta", &meta, &lm) ||
      !read_shapes(env, K, meta, lm, 4, &nd, shapes) ||
      !check_input(env, K, "out", shapes[0], shapes[0], nd, lo) ||
      !check_input(env, K, "cond", shapes[1], shapes[0], nd, lc) ||
      !check_input(env, K, "a", shapes[2], shapes[0], nd, la) ||
      !check_input(env, K, "b", shapes[3], shapes[0], nd, lb))
    return NULL;
  heed_where(nd, shapes[0], out, cond, shapes[1], a, shapes[2], b, shapes[3]);
  return NULL;
}

napi_value heed_js_unary(napi_env env, napi_callback_info info) {
  const char *K = "unary";
  napi_value argv[3];
  int64_t op, lx, lo;
  float *x, *out;
  if (!heed_get_args(env, info, K, 3, argv) ||
      !heed_get_int(env, K, argv[0], "op", 0, HEED_UNARY_OPS - 1, &op) ||
      !heed_get_f32(env, K, argv[1], "x", &x, &lx) ||
      !heed_get_f32(env, K, argv[2], "out", &out, &lo) || !heed_check_fits(env, K, "out", lx, lo))
    return NULL;
  heed_unary((int)op, x, out, lx);
  return NULL;
}

napi_value heed_js_unary_backward(napi_env env, napi_callback_info info) {
  const char *K = "unaryBackward";
  napi_value argv[5];
  int64_t op, lx, ly, lg, lo;
  float *x, *y, *g, *out;
  if (!heed_get_args(env, info, K, 5, argv) ||
      !heed_get_int(env, K, argv[0], "op", 0, HEED_UNARY_OPS - 1, &op) ||
      !heed_get_f32(env, K, argv[1], "x", &x, &lx) || !heed_get_f32(env, K, argv[2], "y", &y, &ly) ||
      !heed_get_f32(env, K, argv[3], "g", &g, &lg) ||
      !heed_get_f32(env, K, argv[4], "out", &out, &lo) || !heed_check_fits(env, K, "x", lg, lx) ||
      !heed_check_fits(env, K, "y", lg, ly) || !heed_check_fits(env, K, "out", lg, lo))
    return NULL;
  heed_unary_backward((int)op, x, y, g, out, lg);
  return NULL;
}

napi_value heed_js_fill(napi_env env, napi_callback_info info) {
  const char *K = "fill";
  napi_value argv[2];
  int64_t lo;
  float *out;
  double value;
  if (!heed_get_args(env, info, K, 2, argv) || !heed_get_f32(env, K, argv[0], "out", &out, &lo) ||
      !heed_get_number(env, K, argv[1], "value", &value))
    return NULL;
  heed_fill(out, lo, (float)value);
  return NULL;
}
