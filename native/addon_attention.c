/*
 * N-API wrappers of the fused attention kernels (attention.c):
 *   attentionForward(q, k, v, mask, out, lse, weights, params)
 *   attentionBackward(q, k, v, mask, out, lse, dout, dq, dk, dv, weights, gradWeights, params)
 * `mask` is a Uint8Array or null; `weights` and `gradWeights` [bh, tq, tk] are Float32Arrays or
 * null (gradWeights needs weights); the sizes, mask layout and head layouts travel in a
 * Float64Array `params` (slots below, mirrored in src/backend/native/index.ts). Every array is
 * checked to hold what the sizes and strides reach, so a bad argument throws instead of reading
 * out of bounds.
 */
#include <math.h>

#include "addon.h"
#include "attention.h"
#include "heed.h"

enum {
  A_BH, A_TQ, A_TK, A_D, A_DV, A_SCALE, A_CAUSAL,
  A_MASK_HEADS, A_MASK_STRIDE_B, A_MASK_STRIDE_H, A_MASK_STRIDE_Q,
  /* Head layouts (heed_head_layout: offset, sb, sh, st) of q, k, v and out, in that order. */
  A_HEADS, A_LAYOUTS, A_COUNT = A_LAYOUTS + 16
};

/* x·y·z, throwing a RangeError on overflow. */
static bool product3(napi_env env, const char *K, int64_t x, int64_t y, int64_t z, int64_t *out) {
  if (__builtin_mul_overflow(x, y, out) || __builtin_mul_overflow(*out, z, out)) {
    heed_throw(env, K, 0, "array extent overflows");
    return false;
  }
  return true;
}

static bool get_f32_sized(napi_env env, const char *K, napi_value v, const char *name,
                          int64_t need, float **data) {
  int64_t len;
  return heed_get_f32(env, K, v, name, data, &len) && heed_check_fits(env, K, name, need, len);
}

/* The elements a tensor of t rows of `width` per head, laid out as `l`, reaches (0 when empty). */
static bool layout_reach(napi_env env, const char *K, const heed_attention_args *a,
                         const heed_head_layout *l, int64_t t, int64_t width, int64_t *need) {
  *need = 0;
  if (a->bh == 0 || t == 0 || width == 0) return true;
  int64_t term;
  const int64_t reach[3][2] = {
      {a->bh / a->heads - 1, l->sb}, {a->heads - 1, l->sh}, {t - 1, l->st}};
  *need = l->offset;
  for (int i = 0; i < 3; i++)
    if (__builtin_mul_overflow(reach[i][0], reach[i][1], &term) ||
        __builtin_add_overflow(*need, term, need)) {
      heed_throw(env, K, 0, "array extent overflows");
      return false;
    }
  if (__builtin_add_overflow(*need, width, need)) {
    heed_throw(env, K, 0, "array extent overflows");
    return false;
  }
  return true;
}

/* Reads params and q, k, v, mask (argv[0..3]) into `a`, checking every extent. */
static bool get_problem(napi_env env, const char *K, napi_value *argv, napi_value params,
                        heed_attention_args *a) {
  double *p;
  int64_t lp, v[A_COUNT], n;
  if (!heed_get_f64(env, K, params, "params", &p, &lp)) return false;
  if (lp < A_COUNT) {
    heed_throw(env, K, 0, "'params' needs %d slots, has %lld", A_COUNT, (long long)lp);
    return false;
  }
  /* Every layout slot is reported as 'layout'. */
  static const char *names[A_LAYOUTS + 1] = {
      "bh",          "tq",          "tk",    "d",      "dv",    "scale",      "causal",
      "maskHeads",   "maskStrideB", "maskStrideH", "maskStrideQ", "heads", "layout"};
  for (int i = 0; i < A_COUNT; i++) {
    if (i == A_SCALE) continue;
    int64_t lo = 0, hi = HEED_MAX_DIM;
    if (i == A_CAUSAL) hi = 1;
    if (i == A_MASK_HEADS || i == A_HEADS) lo = 1;
    if (i >= A_MASK_STRIDE_B && i != A_HEADS) hi = HEED_MAX_EXTENT;
    if (!heed_check_int(env, K, p[i], names[i < A_LAYOUTS ? i : A_LAYOUTS], lo, hi, &v[i]))
      return false;
  }
  if (!isfinite(p[A_SCALE])) {
    heed_throw(env, K, 0, "'scale' must be finite, got %g", p[A_SCALE]);
    return false;
  }
  *a = (heed_attention_args){v[A_BH], v[A_TQ], v[A_TK], v[A_D], v[A_DV], (float)p[A_SCALE],
                             (int)v[A_CAUSAL], NULL, v[A_MASK_HEADS], v[A_MASK_STRIDE_B],
                             v[A_MASK_STRIDE_H], v[A_MASK_STRIDE_Q], NULL, NULL, NULL,
                             v[A_HEADS], {0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0},
                             {0, 0, 0, 0}};
  heed_head_layout *layouts[4] = {&a->lq, &a->lk, &a->lv, &a->lo};
  for (int i = 0; i < 4; i++) {
    const int64_t *x = v + A_LAYOUTS + 4 * i;
    *layouts[i] = (heed_head_layout){x[0], x[1], x[2], x[3]};
  }
  if (a->bh % a->heads != 0) {
    heed_throw(env, K, 0, "bh = %lld is not a multiple of heads = %lld", (long long)a->bh,
               (long long)a->heads);
    return false;
  }
  float *q, *k, *vv;
  if (!layout_reach(env, K, a, &a->lq, a->tq, a->d, &n) ||
      !get_f32_sized(env, K, argv[0], "q", n, &q) ||
      !layout_reach(env, K, a, &a->lk, a->tk, a->d, &n) ||
      !get_f32_sized(env, K, argv[1], "k", n, &k) ||
      !layout_reach(env, K, a, &a->lv, a->tk, a->dv, &n) ||
      !get_f32_sized(env, K, argv[2], "v", n, &vv))
    return false;
  a->q = q, a->k = k, a->v = vv;

  napi_valuetype t;
  if (napi_typeof(env, argv[3], &t) != napi_ok) return false;
  if (t == napi_null || t == napi_undefined) return true;
  uint8_t *mask;
  int64_t lm;
  if (!heed_get_u8(env, K, argv[3], "mask", &mask, &lm)) return false;
  if (a->bh % a->mask_heads != 0) {
    heed_throw(env, K, 0, "bh = %lld is not a multiple of maskHeads = %lld", (long long)a->bh,
               (long long)a->mask_heads);
    return false;
  }
  if (a->bh > 0 && a->tq > 0 && a->tk > 0) {
    /* The farthest byte: the last outer group, the last head, the last query row, key tk − 1. */
    int64_t need = 0, term;
    const int64_t reach[3][2] = {{a->bh / a->mask_heads - 1, a->mask_stride_b},
                                 {a->mask_heads - 1, a->mask_stride_h},
                                 {a->tq - 1, a->mask_stride_q}};
    for (int i = 0; i < 3; i++)
      if (__builtin_mul_overflow(reach[i][0], reach[i][1], &term) ||
          __builtin_add_overflow(need, term, &need)) {
        heed_throw(env, K, 0, "'mask' extent overflows");
        return false;
      }
    if (__builtin_add_overflow(need, a->tk, &need) || !heed_check_fits(env, K, "mask", need, lm))
      return false;
  }
  a->mask = mask;
  return true;
}

/* An optional Float32Array of `need` floats: NULL for null or undefined. */
static bool get_f32_optional(napi_env env, const char *K, napi_value v, const char *name,
                             int64_t need, float **data) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return false;
  *data = NULL;
  if (t == napi_null || t == napi_undefined) return true;
  return get_f32_sized(env, K, v, name, need, data);
}

static napi_value status_to_js(napi_env env, const char *K, int status) {
  if (status != HEED_OK) heed_throw(env, K, 0, "out of memory");
  return NULL;
}

napi_value heed_js_attention_forward(napi_env env, napi_callback_info info) {
  const char *K = "attentionForward";
  napi_value argv[8];
  heed_attention_args a;
  float *out, *lse, *weights;
  int64_t n, n_w;
  if (!heed_get_args(env, info, K, 8, argv) || !get_problem(env, K, argv, argv[7], &a) ||
      !product3(env, K, a.bh, a.tq, a.tk, &n_w) ||
      !get_f32_optional(env, K, argv[6], "weights", n_w, &weights) ||
      !layout_reach(env, K, &a, &a.lo, a.tq, a.dv, &n) ||
      !get_f32_sized(env, K, argv[4], "out", n, &out) ||
      !product3(env, K, a.bh, a.tq, 1, &n) || !get_f32_sized(env, K, argv[5], "lse", n, &lse))
    return NULL;
  return status_to_js(env, K, heed_attention_forward(&a, out, lse, weights));
}

napi_value heed_js_attention_backward(napi_env env, napi_callback_info info) {
  const char *K = "attentionBackward";
  napi_value argv[13];
  heed_attention_args a;
  float *out, *lse, *dout, *dq, *dk, *dv, *weights, *gweights;
  int64_t n_out, n_lse, n_q, n_k, n_v, n_w;
  if (!heed_get_args(env, info, K, 13, argv) || !get_problem(env, K, argv, argv[12], &a) ||
      !product3(env, K, a.bh, a.tq, a.tk, &n_w) ||
      !get_f32_optional(env, K, argv[10], "weights", n_w, &weights) ||
      !get_f32_optional(env, K, argv[11], "gradWeights", n_w, &gweights) ||
      !layout_reach(env, K, &a, &a.lo, a.tq, a.dv, &n_out) ||
      !product3(env, K, a.bh, a.tq, 1, &n_lse) ||
      !layout_reach(env, K, &a, &a.lq, a.tq, a.d, &n_q) ||
      !layout_reach(env, K, &a, &a.lk, a.tk, a.d, &n_k) ||
      !layout_reach(env, K, &a, &a.lv, a.tk, a.dv, &n_v) ||
      !get_f32_sized(env, K, argv[4], "out", n_out, &out) ||
      !get_f32_sized(env, K, argv[5], "lse", n_lse, &lse) ||
      !get_f32_sized(env, K, argv[6], "dout", n_out, &dout) ||
      !get_f32_sized(env, K, argv[7], "dq", n_q, &dq) ||
      !get_f32_sized(env, K, argv[8], "dk", n_k, &dk) ||
      !get_f32_sized(env, K, argv[9], "dv", n_v, &dv))
    return NULL;
  if (gweights != NULL && weights == NULL) {
    heed_throw(env, K, 0, "'gradWeights' needs 'weights'");
    return NULL;
  }
  return status_to_js(
      env, K, heed_attention_backward(&a, out, lse, dout, weights, gweights, dq, dk, dv));
}
