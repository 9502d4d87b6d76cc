/*
 * Module registration, the settings functions (info, setGemm, setThreads, peak) and the gemm
 * wrapper. GEMM takes its 14 scalars in a reused Float64Array instead of as separate arguments:
 * one typed-array lookup is much cheaper than 14 napi_get_value_* calls, which matters for 16×16
 * products.
 */
#include <string.h>

#include "addon.h"
#include "attention.h"
#include "heed.h"

/* GEMM parameter slots in the Float64Array (mirrored in src/backend/native/index.ts). */
enum {
  P_BATCH, P_M, P_N, P_K, P_TRANS_A, P_TRANS_B, P_ALPHA, P_BETA,
  P_A_OFFSET, P_STRIDE_A, P_B_OFFSET, P_STRIDE_B, P_C_OFFSET, P_STRIDE_C, P_COUNT
};

/* Elements reachable from `off` by `batch` matrices of `per` elements spaced `stride` apart. */
static bool check_extent(napi_env env, const char *name, int64_t off, int64_t batch,
                         int64_t stride, int64_t per, int64_t len) {
  int64_t need;
  if (__builtin_mul_overflow(batch - 1, stride, &need) || __builtin_add_overflow(need, off, &need) ||
      __builtin_add_overflow(need, per, &need)) {
    heed_throw(env, "gemm", 0, "'%s' extent overflows", name);
    return false;
  }
  return heed_check_fits(env, "gemm", name, need, len);
}

static napi_value js_gemm(napi_env env, napi_callback_info info) {
  const char *K = "gemm";
  napi_value argv[4];
  float *a, *b, *c;
  double *p;
  int64_t la, lb, lc, lp;
  if (!heed_get_args(env, info, K, 4, argv) || !heed_get_f32(env, K, argv[0], "a", &a, &la) ||
      !heed_get_f32(env, K, argv[1], "b", &b, &lb) ||
      !heed_get_f32(env, K, argv[2], "c", &c, &lc) ||
      !heed_get_f64(env, K, argv[3], "params", &p, &lp))
    return NULL;
  if (lp < P_COUNT) {
    heed_throw(env, K, 0, "'params' needs %d slots, has %lld", P_COUNT, (long long)lp);
    return NULL;
  }
  int64_t v[P_COUNT];
  static const char *names[P_COUNT] = {"batch", "m", "n", "k", "transA", "transB", "alpha",
                                       "beta", "aOffset", "strideA", "bOffset", "strideB",
                                       "cOffset", "strideC"};
  for (int i = 0; i < P_COUNT; i++) {
    if (i == P_ALPHA || i == P_BETA) continue;
    int64_t hi = HEED_MAX_EXTENT; /* offsets and strides */
    if (i <= P_K) hi = HEED_MAX_DIM;
    if (i == P_TRANS_A || i == P_TRANS_B) hi = 1;
    if (!heed_check_int(env, K, p[i], names[i], 0, hi, &v[i])) return NULL;
  }
  const int64_t batch = v[P_BATCH], m = v[P_M], n = v[P_N], k = v[P_K];
  if (batch > 0 && m > 0 && n > 0) {
    if (!check_extent(env, "c", v[P_C_OFFSET], batch, v[P_STRIDE_C], m * n, lc)) return NULL;
    if (k > 0 && (!check_extent(env, "a", v[P_A_OFFSET], batch, v[P_STRIDE_A], m * k, la) ||
                  !check_extent(env, "b", v[P_B_OFFSET], batch, v[P_STRIDE_B], k * n, lb)))
      return NULL;
  }
  const heed_gemm_args g = {batch, m, n, k, (int)v[P_TRANS_A], (int)v[P_TRANS_B],
                            (float)p[P_ALPHA], (float)p[P_BETA], a + v[P_A_OFFSET], v[P_STRIDE_A],
                            b + v[P_B_OFFSET], v[P_STRIDE_B], c + v[P_C_OFFSET], v[P_STRIDE_C]};
  if (heed_gemm(&g) != HEED_OK) napi_throw_error(env, NULL, "heed native gemm: out of memory");
  return NULL;
}

/* n and k of a packed weight from argv[0], argv[1], with the packed size they need. */
static bool packed_dims(napi_env env, const char *K, const napi_value *argv, int64_t *n,
                        int64_t *k, int64_t *floats) {
  if (!heed_get_int(env, K, argv[0], "n", 0, HEED_MAX_DIM, n) ||
      !heed_get_int(env, K, argv[1], "k", 0, HEED_MAX_DIM, k))
    return false;
  *floats = heed_packed_weight_floats(*n, *k);
  return true;
}

static bool get_f32_fits(napi_env env, const char *K, napi_value v, const char *name, int64_t need,
                         float **data) {
  int64_t len;
  return heed_get_f32(env, K, v, name, data, &len) && heed_check_fits(env, K, name, need, len);
}

/* packedWeightSize(n, k): the floats packWeight writes. */
static napi_value js_packed_weight_size(napi_env env, napi_callback_info info) {
  const char *K = "packedWeightSize";
  napi_value argv[2], result;
  int64_t n, k, floats;
  if (!heed_get_args(env, info, K, 2, argv) || !packed_dims(env, K, argv, &n, &k, &floats))
    return NULL;
  if (napi_create_double(env, (double)floats, &result) != napi_ok) return NULL;
  return result;
}

/* packWeight(n, k, w, trans, packed) */
static napi_value js_pack_weight(napi_env env, napi_callback_info info) {
  const char *K = "packWeight";
  napi_value argv[5];
  int64_t n, k, floats;
  float *w, *packed;
  bool trans;
  if (!heed_get_args(env, info, K, 5, argv) || !packed_dims(env, K, argv, &n, &k, &floats) ||
      !get_f32_fits(env, K, argv[2], "w", n * k, &w) ||
      !heed_get_bool(env, K, argv[3], "trans", &trans) ||
      !get_f32_fits(env, K, argv[4], "packed", floats, &packed))
    return NULL;
  heed_pack_weight(w, n, k, trans, packed);
  return NULL;
}

/* gemmPackedWeight(n, k, x, rows, packed, y, beta) */
static napi_value js_gemm_packed_weight(napi_env env, napi_callback_info info) {
  const char *K = "gemmPackedWeight";
  napi_value argv[7];
  int64_t n, k, floats, rows;
  float *x, *packed, *y;
  double beta;
  if (!heed_get_args(env, info, K, 7, argv) || !packed_dims(env, K, argv, &n, &k, &floats) ||
      !heed_get_int(env, K, argv[3], "rows", 0, HEED_MAX_DIM, &rows) ||
      !get_f32_fits(env, K, argv[2], "x", rows * k, &x) ||
      !get_f32_fits(env, K, argv[4], "packed", floats, &packed) ||
      !get_f32_fits(env, K, argv[5], "y", rows * n, &y) ||
      !heed_get_number(env, K, argv[6], "beta", &beta))
    return NULL;
  if (heed_gemm_packed_weight(x, rows, packed, n, k, y, (float)beta) != HEED_OK)
    napi_throw_error(env, NULL, "heed native gemmPackedWeight: out of memory");
  return NULL;
}

static bool set_prop(napi_env env, napi_value obj, const char *key, napi_value value) {
  return napi_set_named_property(env, obj, key, value) == napi_ok;
}

static napi_value js_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value obj, gemm, threads, simd, openblas, pool;
  bool has_pool = false;
#ifdef HEED_POOL_THREADS
  has_pool = true;
#endif
  const char *kind = heed_gemm_uses_openblas() ? "openblas" : "builtin";
  if (napi_create_object(env, &obj) != napi_ok ||
      napi_create_string_utf8(env, kind, NAPI_AUTO_LENGTH, &gemm) != napi_ok ||
      napi_create_int32(env, heed_threads(), &threads) != napi_ok ||
      napi_create_string_utf8(env, heed_simd_name(), NAPI_AUTO_LENGTH, &simd) != napi_ok ||
      napi_get_boolean(env, heed_openblas_compiled() != 0, &openblas) != napi_ok ||
      napi_get_boolean(env, has_pool, &pool) != napi_ok || !set_prop(env, obj, "gemm", gemm) ||
      !set_prop(env, obj, "threads", threads) || !set_prop(env, obj, "simd", simd) ||
      !set_prop(env, obj, "openblas", openblas) || !set_prop(env, obj, "threaded", pool)) {
    napi_throw_error(env, NULL, "heed native info: could not build the result");
    return NULL;
  }
  return obj;
}

static napi_value js_set_gemm(napi_env env, napi_callback_info info) {
  const char *K = "setGemm";
  napi_value argv[1];
  char kind[16] = {0};
  size_t len = 0;
  if (!heed_get_args(env, info, K, 1, argv)) return NULL;
  if (napi_get_value_string_utf8(env, argv[0], kind, sizeof kind, &len) != napi_ok) {
    heed_throw(env, K, 1, "argument 'kind' must be a string");
    return NULL;
  }
  if (strcmp(kind, "builtin") == 0) {
    heed_set_gemm_openblas(0);
  } else if (strcmp(kind, "openblas") == 0) {
    if (!heed_openblas_compiled()) {
      napi_throw_error(env, NULL,
                       "heed native setGemm: OpenBLAS is not compiled in (the build found no "
                       "cblas.h/libopenblas); only 'builtin' is available");
      return NULL;
    }
    heed_set_gemm_openblas(1);
  } else {
    heed_throw(env, K, 1, "kind must be 'openblas' or 'builtin', got '%s'", kind);
  }
  return NULL;
}

static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  const char *K = "setThreads";
  napi_value argv[1];
  int64_t n;
  if (!heed_get_args(env, info, K, 1, argv) || !heed_get_int(env, K, argv[0], "n", 1, 1024, &n))
    return NULL;
  heed_set_threads((int)n);
  return NULL;
}

static napi_value js_peak(napi_env env, napi_callback_info info) {
  const char *K = "peak";
  napi_value argv[1], result;
  int64_t threads;
  float sink = 0.0f;
  if (!heed_get_args(env, info, K, 1, argv) ||
      !heed_get_int(env, K, argv[0], "threads", 1, 1024, &threads))
    return NULL;
  const double gflops = heed_peak_gflops((int)threads, &sink);
  /* sink is never NaN; testing it keeps the timed loops observable to the compiler. */
  if (napi_create_double(env, sink == sink ? gflops : 0.0, &result) != napi_ok) return NULL;
  return result;
}

/* Settings are process-wide: only the first environment (main thread or first worker) to load
 * the addon initialises them, so a worker starting later does not reset the main thread's. */
static int g_initialised = 0;

NAPI_MODULE_INIT() {
  int expected = 0;
  if (__atomic_compare_exchange_n(&g_initialised, &expected, 1, 0, __ATOMIC_ACQ_REL,
                                  __ATOMIC_ACQUIRE))
    heed_config_init();
  const napi_property_descriptor props[] = {
      {"gemm", NULL, js_gemm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"packedWeightSize", NULL, js_packed_weight_size, NULL, NULL, NULL, napi_enumerable, NULL},
      {"packWeight", NULL, js_pack_weight, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gemmPackedWeight", NULL, js_gemm_packed_weight, NULL, NULL, NULL, napi_enumerable, NULL},
      {"binary", NULL, heed_js_binary, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unary", NULL, heed_js_unary, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unaryBackward", NULL, heed_js_unary_backward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"reduce", NULL, heed_js_reduce, NULL, NULL, NULL, napi_enumerable, NULL},
      {"softmax", NULL, heed_js_softmax, NULL, NULL, NULL, napi_enumerable, NULL},
      {"softmaxBackward", NULL, heed_js_softmax_backward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"layerNormForward", NULL, heed_js_layer_norm_forward, NULL, NULL, NULL, napi_enumerable,
       NULL},
      {"layerNormBackward", NULL, heed_js_layer_norm_backward, NULL, NULL, NULL, napi_enumerable,
       NULL},
      {"copy", NULL, heed_js_copy, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gatherRows", NULL, heed_js_gather_rows, NULL, NULL, NULL, napi_enumerable, NULL},
      {"scatterAddRows", NULL, heed_js_scatter_add_rows, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lstmCellForward", NULL, heed_js_lstm_cell_forward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lstmCellBackward", NULL, heed_js_lstm_cell_backward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gruCellForward", NULL, heed_js_gru_cell_forward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gruCellBackward", NULL, heed_js_gru_cell_backward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"where", NULL, heed_js_where, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fill", NULL, heed_js_fill, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sgdStep", NULL, heed_js_sgd_step, NULL, NULL, NULL, napi_enumerable, NULL},
      {"adamStep", NULL, heed_js_adam_step, NULL, NULL, NULL, napi_enumerable, NULL},
      {"normPow", NULL, heed_js_norm_pow, NULL, NULL, NULL, napi_enumerable, NULL},
      {"additiveScores", NULL, heed_js_additive_scores, NULL, NULL, NULL, napi_enumerable, NULL},
      {"additiveScoresBackward", NULL, heed_js_additive_scores_backward, NULL, NULL, NULL,
       napi_enumerable, NULL},
      {"attentionForward", NULL, heed_js_attention_forward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"attentionBackward", NULL, heed_js_attention_backward, NULL, NULL, NULL, napi_enumerable,
       NULL},
      {"info", NULL, js_info, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setGemm", NULL, js_set_gemm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setThreads", NULL, js_set_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"peak", NULL, js_peak, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok)
    return NULL;
  return exports;
}
