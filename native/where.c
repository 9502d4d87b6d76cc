/* out = cond ? a : b with NumPy broadcasting of all three inputs (cond holds 0/1 bytes). */
#include "walk.h"

typedef struct {
  float *out;
  const uint8_t *cond;
  const float *a, *b;
} where_ctx;

static void where_run(void *arg, int64_t len, const int64_t *offs, const int64_t *inner) {
  const where_ctx *C = arg;
  float *o = C->out + offs[0];
  const uint8_t *c = C->cond + offs[1];
  const float *a = C->a + offs[2], *b = C->b + offs[3];
  const int64_t so = inner[0], sc = inner[1], sa = inner[2], sb = inner[3];
  if (so == 1 && sc == 1 && sa == 1 && sb == 1) {
    HEED_IVDEP for (int64_t i = 0; i < len; i++) o[i] = c[i] ? a[i] : b[i];
  } else {
    for (int64_t i = 0; i < len; i++) o[i * so] = c[i * sc] ? a[i * sa] : b[i * sb];
  }
}

void heed_where(int ndim, const int64_t *out_shape, float *out, const uint8_t *cond,
                const int64_t *cond_shape, const float *a, const int64_t *a_shape, const float *b,
                const int64_t *b_shape) {
  int64_t so[HEED_MAX_DIMS], sc[HEED_MAX_DIMS], sa[HEED_MAX_DIMS], sb[HEED_MAX_DIMS];
  heed_contiguous_strides(ndim, out_shape, so);
  heed_broadcast_strides(ndim, cond_shape, sc);
  heed_broadcast_strides(ndim, a_shape, sa);
  heed_broadcast_strides(ndim, b_shape, sb);
  const int64_t *strides[4] = {so, sc, sa, sb};
  const int64_t base[4] = {0, 0, 0, 0};
  heed_walk w;
  heed_walk_plan(&w, ndim, out_shape, 4, strides, base);
  where_ctx C = {out, cond, a, b};
  heed_walk_run(&w, 1, where_run, &C);
}
