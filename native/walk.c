/* The strided walker declared in walk.h. */
#include "walk.h"

void heed_broadcast_strides(int ndim, const int64_t *in_shape, int64_t *strides) {
  int64_t s = 1;
  for (int d = ndim - 1; d >= 0; d--) {
    strides[d] = in_shape[d] == 1 ? 0 : s;
    s *= in_shape[d];
  }
}

void heed_contiguous_strides(int ndim, const int64_t *shape, int64_t *strides) {
  int64_t s = 1;
  for (int d = ndim - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
}

void heed_walk_plan(heed_walk *w, int ndim, const int64_t *shape, int nops,
                    const int64_t *const *strides, const int64_t *base) {
  w->nops = nops;
  w->nd = 0;
  w->total = 1;
  for (int t = 0; t < nops; t++) w->base[t] = base[t];
  for (int d = 0; d < ndim; d++) {
    const int64_t size = shape[d];
    w->total *= size;
    if (size == 1) continue;
    int merge = w->nd > 0;
    /* Axis d continues the previous kept axis when, for every operand, stepping the previous
     * axis once equals stepping this one `size` times. */
    for (int t = 0; t < nops && merge; t++)
      merge = w->strides[t][w->nd - 1] == strides[t][d] * size;
    if (merge) {
      w->shape[w->nd - 1] *= size;
      for (int t = 0; t < nops; t++) w->strides[t][w->nd - 1] = strides[t][d];
    } else {
      w->shape[w->nd] = size;
      for (int t = 0; t < nops; t++) w->strides[t][w->nd] = strides[t][d];
      w->nd++;
    }
  }
  if (w->nd == 0) {
    w->nd = 1;
    w->shape[0] = 1;
    for (int t = 0; t < nops; t++) w->strides[t][0] = 0;
  }
}

typedef struct {
  const heed_walk *w;
  heed_run_fn fn;
  void *ctx;
} walk_job;

/* Walks flat element range [lo, hi): the first and last runs may be partial rows. */
static void walk_range(void *arg, int64_t lo, int64_t hi) {
  const walk_job *J = arg;
  const heed_walk *w = J->w;
  const int last = w->nd - 1;
  const int64_t cols = w->shape[last];
  int64_t idx[HEED_MAX_DIMS];
  int64_t offs[HEED_WALK_MAX_OPS], run[HEED_WALK_MAX_OPS], inner[HEED_WALK_MAX_OPS];
  int64_t row = lo / cols, col = lo % cols;
  for (int d = last - 1; d >= 0; d--) {
    idx[d] = row % w->shape[d];
    row /= w->shape[d];
  }
  for (int t = 0; t < w->nops; t++) {
    inner[t] = w->strides[t][last];
    offs[t] = w->base[t];
    for (int d = 0; d < last; d++) offs[t] += idx[d] * w->strides[t][d];
  }
  for (int64_t pos = lo; pos < hi;) {
    const int64_t len = cols - col < hi - pos ? cols - col : hi - pos;
    for (int t = 0; t < w->nops; t++) run[t] = offs[t] + col * inner[t];
    J->fn(J->ctx, len, run, inner);
    pos += len;
    col = 0;
    /* Odometer step over the leading axes. */
    for (int d = last - 1; d >= 0; d--) {
      for (int t = 0; t < w->nops; t++) offs[t] += w->strides[t][d];
      if (++idx[d] < w->shape[d]) break;
      for (int t = 0; t < w->nops; t++) offs[t] -= w->strides[t][d] * w->shape[d];
      idx[d] = 0;
    }
  }
}

void heed_walk_run(const heed_walk *w, int64_t cost, heed_run_fn fn, void *ctx) {
  if (w->total <= 0) return;
  walk_job J = {w, fn, ctx};
  heed_parallel_for(w->total, w->total * cost, walk_range, &J);
}
