/*
 * Argument checking for the N-API glue. Every helper validates one argument and, on failure,
 * throws a JS error naming the kernel and argument and returns false; callers then return NULL
 * (undefined) immediately. Checks are O(1) except where an array must be scanned anyway.
 */
#ifndef HEED_NAPI_ARGS_H
#define HEED_NAPI_ARGS_H

#define NAPI_VERSION 8
#include <math.h>
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>

/* Throws a TypeError (type != 0) or RangeError: "heed native <kernel>: <message>". */
void heed_throw(napi_env env, const char *kernel, int type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Fetches exactly `want` arguments (extra ones are an error too: they signal a stale adapter). */
bool heed_get_args(napi_env env, napi_callback_info info, const char *kernel, size_t want,
                   napi_value *argv);

/* Typed arrays of the given element type: data pointer and element count. */
bool heed_get_f32(napi_env env, const char *kernel, napi_value v, const char *name, float **data,
                  int64_t *len);
bool heed_get_f64(napi_env env, const char *kernel, napi_value v, const char *name, double **data,
                  int64_t *len);
bool heed_get_i32(napi_env env, const char *kernel, napi_value v, const char *name,
                  int32_t **data, int64_t *len);
bool heed_get_u8(napi_env env, const char *kernel, napi_value v, const char *name, uint8_t **data,
                 int64_t *len);

/* A JS number that must be an integer in [lo, hi]. */
bool heed_get_int(napi_env env, const char *kernel, napi_value v, const char *name, int64_t lo,
                  int64_t hi, int64_t *out);
bool heed_get_number(napi_env env, const char *kernel, napi_value v, const char *name,
                     double *out);
bool heed_get_bool(napi_env env, const char *kernel, napi_value v, const char *name, bool *out);

/* Throws the RangeError for a value heed_check_int rejected. */
void heed_int_error(napi_env env, const char *kernel, double v, const char *name, int64_t lo,
                    int64_t hi);

/* An integral double (from a parameter Float64Array) in [lo, hi]. Inline, with the error out of
 * line: GEMM checks twelve of these per call, and a 16×16 GEMM call takes ~0.3 µs in all. */
static inline bool heed_check_int(napi_env env, const char *kernel, double v, const char *name,
                                  int64_t lo, int64_t hi, int64_t *out) {
  /* The comparisons are false for NaN; trunc rejects fractions; the bounds keep the cast exact. */
  if (v >= (double)lo && v <= (double)hi && v == trunc(v)) {
    *out = (int64_t)v;
    return true;
  }
  heed_int_error(env, kernel, v, name, lo, hi);
  return false;
}

/* Product of dims, failing (with a RangeError) on overflow. */
bool heed_numel(napi_env env, const char *kernel, const int64_t *shape, int ndim,
                const char *name, int64_t *out);

/* Requires `need` elements to fit in an array of length `have`. */
bool heed_check_fits(napi_env env, const char *kernel, const char *name, int64_t need,
                     int64_t have);

#endif
