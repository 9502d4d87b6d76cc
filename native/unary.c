/*
 * Elementwise unary ops and their gradients. exp, tanh, sigmoid and gelu use the vectorised
 * functions of vmath.h (exp, tanh, sigmoid ≤ 2.4 ulp; gelu ≤ 4.8 ulp, its tail included; much
 * faster than libm's scalar tanhf and erfcf); log uses the float libm. Other gradients are cheap
 * arithmetic, so they are evaluated in double and rounded once, exactly as the js backend does
 * (which makes them bit-identical for every op but gelu, whose gradient is vectorised too).
 */
#include <math.h>

#include "heed.h"
#include "vmath.h"

typedef struct {
  int op;
  const float *x, *y, *g;
  float *out;
} unary_ctx;

#define UNARY_LOOP(EXPR)                                    \
  HEED_IVDEP for (int64_t i = lo; i < hi; i++) {            \
    const float x = in[i];                                  \
    out[i] = (EXPR);                                        \
  }                                                         \
  break;

static void unary_range(void *arg, int64_t lo, int64_t hi) {
  const unary_ctx *C = arg;
  const float *in = C->x;
  float *out = C->out;
  switch (C->op) {
    case HEED_NEG: UNARY_LOOP(-x)
    case HEED_EXP: heed_vexp(in + lo, out + lo, hi - lo); break;
    case HEED_LOG: UNARY_LOOP(logf(x))
    case HEED_TANH: heed_vtanh(in + lo, out + lo, hi - lo); break;
    case HEED_SIGMOID: heed_vsigmoid(in + lo, out + lo, hi - lo); break;
    case HEED_RELU: UNARY_LOOP(x > 0.0f ? x : isnan(x) ? x : 0.0f)
    case HEED_GELU: heed_vgelu(in + lo, out + lo, hi - lo); break;
    case HEED_SQRT: UNARY_LOOP(sqrtf(x))
    case HEED_ABS: UNARY_LOOP(fabsf(x))
    default: UNARY_LOOP(x * x)
  }
}

/* out = g · op'(x, y), with op' evaluated in double. */
#define GRAD_LOOP(DERIV)                                              \
  HEED_IVDEP for (int64_t i = lo; i < hi; i++) {                      \
    const double x = C->x[i], y = C->y[i];                            \
    (void)x;                                                          \
    (void)y;                                                          \
    C->out[i] = (float)((double)C->g[i] * (DERIV));                   \
  }                                                                   \
  break;

/* out = g · gelu'(x), vectorised (vmath.h). */
static void gelu_grad_range(const unary_ctx *C, int64_t lo, int64_t hi) {
  int64_t i = lo;
  for (; i + HV_WIDTH <= hi; i += HV_WIDTH)
    hv_store(C->out + i, hv_mul(hv_load(C->g + i), hv_gelu_grad(hv_load(C->x + i))));
  if (i < hi) {
    const int rest = (int)(hi - i);
    const hv_f d = hv_gelu_grad(hv_load_part(C->x + i, rest));
    hv_store_part(C->out + i, hv_mul(hv_load_part(C->g + i, rest), d), rest);
  }
}

static void grad_range(void *arg, int64_t lo, int64_t hi) {
  const unary_ctx *C = arg;
  switch (C->op) {
    case HEED_NEG: GRAD_LOOP(-1.0)
    case HEED_EXP: GRAD_LOOP(y)
    case HEED_LOG: GRAD_LOOP(1.0 / x)
    case HEED_TANH: GRAD_LOOP(1.0 - y * y)
    case HEED_SIGMOID: GRAD_LOOP(y * (1.0 - y))
    case HEED_RELU: GRAD_LOOP(x > 0.0 ? 1.0 : 0.0)
    case HEED_GELU: gelu_grad_range(C, lo, hi); break;
    case HEED_SQRT: GRAD_LOOP(0.5 / y)
    case HEED_ABS: GRAD_LOOP(x > 0.0 ? 1.0 : x < 0.0 ? -1.0 : 0.0)
    default: GRAD_LOOP(2.0 * x)
  }
}

/* Relative per-element cost, so libm-bound ops go parallel on smaller arrays. The vectorised
 * exp, tanh and sigmoid (0.2–0.8 ns per element) go parallel from 32,768 elements by default;
 * the vectorised gelu (~1.2 ns per element on AVX-512, forward or backward) from 16,384
 * (heed.h). */
static int64_t op_cost(int op) {
  switch (op) {
    case HEED_EXP:
    case HEED_TANH:
    case HEED_SIGMOID:
      return 2;
    case HEED_GELU:
      return 4;
    case HEED_LOG:
      return 16;
    default:
      return 1;
  }
}

void heed_unary(int op, const float *x, float *out, int64_t n) {
  unary_ctx C = {op, x, NULL, NULL, out};
  heed_parallel_for(n, n * op_cost(op), unary_range, &C);
}

void heed_unary_backward(int op, const float *x, const float *y, const float *g, float *out,
                         int64_t n) {
  unary_ctx C = {op, x, y, g, out};
  heed_parallel_for(n, n * (op == HEED_GELU ? 4 : 1), grad_range, &C);
}
