/*
 * Elementwise binary ops with NumPy broadcasting. The walker collapses the shapes, so the common
 * cases reduce to a handful of tight loops per run of the last axis: both operands contiguous
 * (same shape), one operand fixed for the run (scalar, or a column broadcast), or both fixed.
 * A row broadcast ([rows, n] op [1, n]) is contiguous-contiguous per row.
 */
#include <math.h>

#include "walk.h"

/* Math.pow semantics where C's powf differs: a NaN exponent always gives NaN (powf(1, NaN) is 1)
 * and (±1) ** ±Infinity is NaN (powf gives 1). */
static inline float js_pow(float x, float y) {
  if (isnan(y)) return NAN;
  if (isinf(y) && fabsf(x) == 1.0f) return NAN;
  return powf(x, y);
}

/* torch.maximum/minimum: NaN wins; otherwise the plain comparison (as the js backend). */
static inline float nan_max(float x, float y) { return isnan(x) || isnan(y) ? NAN : x > y ? x : y; }
static inline float nan_min(float x, float y) { return isnan(x) || isnan(y) ? NAN : x < y ? x : y; }

/* One loop per inner-stride pattern; sa/sb are 0 (held) or 1 (contiguous), anything else is a
 * generic strided fallback. */
#define BINARY_RUN(EXPR)                                                     \
  if (sa == 1 && sb == 1) {                                                  \
    HEED_IVDEP for (int64_t i = 0; i < len; i++) {                           \
      const float x = a[i], y = b[i];                                        \
      o[i] = (EXPR);                                                         \
    }                                                                        \
  } else if (sa == 1 && sb == 0) {                                           \
    const float y = b[0];                                                    \
    HEED_IVDEP for (int64_t i = 0; i < len; i++) {                           \
      const float x = a[i];                                                  \
      o[i] = (EXPR);                                                         \
    }                                                                        \
  } else if (sa == 0 && sb == 1) {                                           \
    const float x = a[0];                                                    \
    HEED_IVDEP for (int64_t i = 0; i < len; i++) {                           \
      const float y = b[i];                                                  \
      o[i] = (EXPR);                                                         \
    }                                                                        \
  } else {                                                                   \
    for (int64_t i = 0; i < len; i++) {                                      \
      const float x = a[i * sa], y = b[i * sb];                              \
      o[i * so] = (EXPR);                                                    \
    }                                                                        \
  }

typedef struct {
  int op;
  float *out;
  const float *a, *b;
} binary_ctx;

static void binary_run(void *arg, int64_t len, const int64_t *offs, const int64_t *inner) {
  const binary_ctx *C = arg;
  float *o = C->out + offs[0];
  const float *a = C->a + offs[1], *b = C->b + offs[2];
  const int64_t so = inner[0], sa = inner[1], sb = inner[2];
  /* The fast patterns all write contiguously; a strided output takes the generic loop. */
  if (so != 1) {
    for (int64_t i = 0; i < len; i++) {
      const float x = a[i * sa], y = b[i * sb];
      float v = 0.0f;
      switch (C->op) {
        case HEED_ADD: v = x + y; break;
        case HEED_SUB: v = x - y; break;
        case HEED_MUL: v = x * y; break;
        case HEED_DIV: v = x / y; break;
        case HEED_POW: v = js_pow(x, y); break;
        case HEED_MAXIMUM: v = nan_max(x, y); break;
        default: v = nan_min(x, y); break;
      }
      o[i * so] = v;
    }
    return;
  }
  switch (C->op) {
    case HEED_ADD: BINARY_RUN(x + y) break;
    case HEED_SUB: BINARY_RUN(x - y) break;
    case HEED_MUL: BINARY_RUN(x * y) break;
    case HEED_DIV: BINARY_RUN(x / y) break;
    case HEED_POW: BINARY_RUN(js_pow(x, y)) break;
    case HEED_MAXIMUM: BINARY_RUN(nan_max(x, y)) break;
    default: BINARY_RUN(nan_min(x, y)) break;
  }
}

void heed_binary(int op, int ndim, const int64_t *out_shape, float *out, const float *a,
                 const int64_t *a_shape, const float *b, const int64_t *b_shape) {
  int64_t so[HEED_MAX_DIMS], sa[HEED_MAX_DIMS], sb[HEED_MAX_DIMS];
  heed_contiguous_strides(ndim, out_shape, so);
  heed_broadcast_strides(ndim, a_shape, sa);
  heed_broadcast_strides(ndim, b_shape, sb);
  const int64_t *strides[3] = {so, sa, sb};
  const int64_t base[3] = {0, 0, 0};
  heed_walk w;
  heed_walk_plan(&w, ndim, out_shape, 3, strides, base);
  binary_ctx C = {op, out, a, b};
  /* powf costs an order of magnitude more than the arithmetic ops. */
  heed_walk_run(&w, op == HEED_POW ? 16 : 1, binary_run, &C);
}
