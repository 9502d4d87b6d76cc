/*
 * N-API wrappers of the optimizer kernels (optim.c): sgdStep, adamStep and normPow. The
 * hyperparameters travel in a reused Float64Array (layouts in src/backend/native/addon.ts);
 * every array must hold at least the parameter's length.
 */
#include "addon.h"
#include "heed.h"

/* SGD parameter slots. */
enum { S_LR, S_MOMENTUM, S_DAMPENING, S_WEIGHT_DECAY, S_MAXIMIZE, S_NESTEROV, S_FIRST, S_COUNT };
/* Adam parameter slots. */
enum { A_STEP, A_LR, A_BETA1, A_BETA2, A_EPS, A_WEIGHT_DECAY, A_MAXIMIZE, A_DECOUPLED, A_COUNT };

/* An optional float32 array: null/undefined gives NULL; otherwise it must hold `need` elements. */
static bool optional_f32(napi_env env, const char *K, napi_value v, const char *name, int64_t need,
                         float **out) {
  napi_valuetype t;
  int64_t len;
  *out = NULL;
  if (napi_typeof(env, v, &t) != napi_ok) return false;
  if (t == napi_null || t == napi_undefined) return true;
  return heed_get_f32(env, K, v, name, out, &len) && heed_check_fits(env, K, name, need, len);
}

/* A required float32 array of at least `need` elements. */
static bool sized_f32(napi_env env, const char *K, napi_value v, const char *name, int64_t need,
                      float **out) {
  int64_t len;
  return heed_get_f32(env, K, v, name, out, &len) && heed_check_fits(env, K, name, need, len);
}

static bool params_of(napi_env env, const char *K, napi_value v, int count, double **out) {
  int64_t len;
  if (!heed_get_f64(env, K, v, "params", out, &len)) return false;
  if (len < count) {
    heed_throw(env, K, 0, "'params' needs %d slots, has %lld", count, (long long)len);
    return false;
  }
  return true;
}

/* sgdStep(p, g, buf | null, params) */
napi_value heed_js_sgd_step(napi_env env, napi_callback_info info) {
  const char *K = "sgdStep";
  napi_value argv[4];
  float *p, *g, *buf;
  double *h;
  int64_t n;
  if (!heed_get_args(env, info, K, 4, argv) || !heed_get_f32(env, K, argv[0], "p", &p, &n) ||
      !sized_f32(env, K, argv[1], "g", n, &g) || !optional_f32(env, K, argv[2], "buf", n, &buf) ||
      !params_of(env, K, argv[3], S_COUNT, &h))
    return NULL;
  const heed_sgd_params hp = {.lr = h[S_LR],
                              .momentum = h[S_MOMENTUM],
                              .dampening = h[S_DAMPENING],
                              .weight_decay = h[S_WEIGHT_DECAY],
                              .sign = h[S_MAXIMIZE] != 0.0 ? -1.0 : 1.0,
                              .nesterov = h[S_NESTEROV] != 0.0,
                              .first_step = h[S_FIRST] != 0.0};
  heed_sgd_step(p, g, buf, n, &hp);
  return NULL;
}

/* adamStep(p, g, m, v, vMax | null, params) */
napi_value heed_js_adam_step(napi_env env, napi_callback_info info) {
  const char *K = "adamStep";
  napi_value argv[6];
  float *p, *g, *m, *v, *vmax;
  double *h;
  int64_t n;
  if (!heed_get_args(env, info, K, 6, argv) || !heed_get_f32(env, K, argv[0], "p", &p, &n) ||
      !sized_f32(env, K, argv[1], "g", n, &g) || !sized_f32(env, K, argv[2], "m", n, &m) ||
      !sized_f32(env, K, argv[3], "v", n, &v) ||
      !optional_f32(env, K, argv[4], "vMax", n, &vmax) || !params_of(env, K, argv[5], A_COUNT, &h))
    return NULL;
  const heed_adam_params hp = {.step = h[A_STEP],
                               .lr = h[A_LR],
                               .beta1 = h[A_BETA1],
                               .beta2 = h[A_BETA2],
                               .eps = h[A_EPS],
                               .weight_decay = h[A_WEIGHT_DECAY],
                               .sign = h[A_MAXIMIZE] != 0.0 ? -1.0 : 1.0,
                               .decoupled = h[A_DECOUPLED] != 0.0};
  heed_adam_step(p, g, m, v, vmax, n, &hp);
  return NULL;
}

/* normPow(x, p) → Σ|x_i|^p, or max |x_i| for p = Infinity */
napi_value heed_js_norm_pow(napi_env env, napi_callback_info info) {
  const char *K = "normPow";
  napi_value argv[2], result;
  float *x;
  int64_t n;
  double p;
  if (!heed_get_args(env, info, K, 2, argv) || !heed_get_f32(env, K, argv[0], "x", &x, &n) ||
      !heed_get_number(env, K, argv[1], "p", &p))
    return NULL;
  if (!(p > 0.0)) {
    heed_throw(env, K, 0, "p must be > 0 or Infinity, got %g", p);
    return NULL;
  }
  if (napi_create_double(env, heed_norm_pow(x, n, p), &result) != napi_ok) return NULL;
  return result;
}
