/* Argument checking for the N-API glue (see napi_args.h). */
#include "napi_args.h"

#include <stdarg.h>
#include <stdio.h>

void heed_throw(napi_env env, const char *kernel, int type, const char *fmt, ...) {
  char msg[256];
  int n = snprintf(msg, sizeof msg, "heed native %s: ", kernel);
  if (n < 0 || (size_t)n >= sizeof msg) n = 0;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
  va_end(ap);
  if (type)
    napi_throw_type_error(env, NULL, msg);
  else
    napi_throw_range_error(env, NULL, msg);
}

bool heed_get_args(napi_env env, napi_callback_info info, const char *kernel, size_t want,
                   napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    heed_throw(env, kernel, 1, "could not read arguments");
    return false;
  }
  if (argc != want) {
    heed_throw(env, kernel, 1, "expected %zu arguments, got %zu", want, argc);
    return false;
  }
  return true;
}

static bool get_typed(napi_env env, const char *kernel, napi_value v, const char *name,
                      napi_typedarray_type want, const char *want_name, void **data,
                      int64_t *len) {
  napi_typedarray_type type;
  size_t length = 0;
  void *ptr = NULL;
  if (napi_get_typedarray_info(env, v, &type, &length, &ptr, NULL, NULL) != napi_ok ||
      type != want) {
    heed_throw(env, kernel, 1, "argument '%s' must be a %s", name, want_name);
    return false;
  }
  *data = ptr;
  *len = (int64_t)length;
  return true;
}

bool heed_get_f32(napi_env env, const char *kernel, napi_value v, const char *name, float **data,
                  int64_t *len) {
  void *p = NULL;
  if (!get_typed(env, kernel, v, name, napi_float32_array, "Float32Array", &p, len)) return false;
  *data = p;
  return true;
}

bool heed_get_f64(napi_env env, const char *kernel, napi_value v, const char *name, double **data,
                  int64_t *len) {
  void *p = NULL;
  if (!get_typed(env, kernel, v, name, napi_float64_array, "Float64Array", &p, len)) return false;
  *data = p;
  return true;
}

bool heed_get_i32(napi_env env, const char *kernel, napi_value v, const char *name,
                  int32_t **data, int64_t *len) {
  void *p = NULL;
  if (!get_typed(env, kernel, v, name, napi_int32_array, "Int32Array", &p, len)) return false;
  *data = p;
  return true;
}

bool heed_get_u8(napi_env env, const char *kernel, napi_value v, const char *name, uint8_t **data,
                 int64_t *len) {
  void *p = NULL;
  if (!get_typed(env, kernel, v, name, napi_uint8_array, "Uint8Array", &p, len)) return false;
  *data = p;
  return true;
}

void heed_int_error(napi_env env, const char *kernel, double v, const char *name, int64_t lo,
                    int64_t hi) {
  heed_throw(env, kernel, 0, "'%s' must be an integer in [%lld, %lld], got %g", name,
             (long long)lo, (long long)hi, v);
}

bool heed_get_number(napi_env env, const char *kernel, napi_value v, const char *name,
                     double *out) {
  if (napi_get_value_double(env, v, out) != napi_ok) {
    heed_throw(env, kernel, 1, "argument '%s' must be a number", name);
    return false;
  }
  return true;
}

bool heed_get_int(napi_env env, const char *kernel, napi_value v, const char *name, int64_t lo,
                  int64_t hi, int64_t *out) {
  double d;
  return heed_get_number(env, kernel, v, name, &d) &&
         heed_check_int(env, kernel, d, name, lo, hi, out);
}

bool heed_get_bool(napi_env env, const char *kernel, napi_value v, const char *name, bool *out) {
  if (napi_get_value_bool(env, v, out) != napi_ok) {
    heed_throw(env, kernel, 1, "argument '%s' must be a boolean", name);
    return false;
  }
  return true;
}

bool heed_numel(napi_env env, const char *kernel, const int64_t *shape, int ndim,
                const char *name, int64_t *out) {
  int64_t n = 1;
  for (int d = 0; d < ndim; d++) {
    if (__builtin_mul_overflow(n, shape[d], &n)) {
      heed_throw(env, kernel, 0, "%s has too many elements", name);
      return false;
    }
  }
  *out = n;
  return true;
}

bool heed_check_fits(napi_env env, const char *kernel, const char *name, int64_t need,
                     int64_t have) {
  if (need > have) {
    heed_throw(env, kernel, 0, "'%s' needs %lld elements but has %lld", name, (long long)need,
               (long long)have);
    return false;
  }
  return true;
}
