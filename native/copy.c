/*
 * Data movement: strided N-d copy, row gather / scatter-add, and fill. The copy collapses axes
 * that are contiguous in both views (walk.c), so a contiguous copy becomes one memmove per thread;
 * a transpose is copied in cache-sized tiles.
 */
#include <string.h>

#include "walk.h"

typedef struct {
  float *dst;
  const float *src;
} copy_ctx;

static void copy_run(void *arg, int64_t len, const int64_t *offs, const int64_t *inner) {
  const copy_ctx *C = arg;
  float *d = C->dst + offs[0];
  const float *s = C->src + offs[1];
  const int64_t ds = inner[0], ss = inner[1];
  if (ds == 1 && ss == 1) {
    memmove(d, s, (size_t)len * sizeof(float));
  } else if (ds == 1 && ss == 0) {
    const float v = s[0];
    for (int64_t i = 0; i < len; i++) d[i] = v;
  } else if (ds == 1) {
    for (int64_t i = 0; i < len; i++) d[i] = s[i * ss];
  } else {
    for (int64_t i = 0; i < len; i++) d[i * ds] = s[i * ss];
  }
}

/* Tile edge for transposing copies. Small on purpose: with a power-of-two row stride (a 1024-wide
 * matrix) every row of a tile maps to the same L1 set, and L1 is 8-way; 8×8 tiles stay resident
 * (measured: 32×32 tiles were 3× slower on a 1024×1024 transpose). */
#define TILE 8

typedef struct {
  const heed_walk *w;
  float *dst;
  const float *src;
  int64_t row_tiles, col_tiles;
} tiled_ctx;

/* Tasks are (leading index, tile) pairs over the last two axes [R, C] of the plan. */
static void tiled_range(void *arg, int64_t lo, int64_t hi) {
  const tiled_ctx *T = arg;
  const heed_walk *w = T->w;
  const int r_ax = w->nd - 2, c_ax = w->nd - 1;
  const int64_t R = w->shape[r_ax], Cn = w->shape[c_ax];
  const int64_t dr = w->strides[0][r_ax], dc = w->strides[0][c_ax];
  const int64_t sr = w->strides[1][r_ax], sc = w->strides[1][c_ax];
  const int64_t tiles = T->row_tiles * T->col_tiles;
  for (int64_t t = lo; t < hi; t++) {
    int64_t lead = t / tiles, d_off = 0, s_off = 0;
    for (int d = r_ax - 1; d >= 0; d--) {
      const int64_t i = lead % w->shape[d];
      lead /= w->shape[d];
      d_off += i * w->strides[0][d];
      s_off += i * w->strides[1][d];
    }
    const int64_t r0 = (t % tiles) / T->col_tiles * TILE, c0 = (t % tiles) % T->col_tiles * TILE;
    const int64_t r1 = r0 + TILE < R ? r0 + TILE : R, c1 = c0 + TILE < Cn ? c0 + TILE : Cn;
    float *d = T->dst + d_off;
    const float *s = T->src + s_off;
    for (int64_t r = r0; r < r1; r++) {
      float *dp = d + r * dr + c0 * dc;
      const float *sp = s + r * sr + c0 * sc;
      for (int64_t c = c0; c < c1; c++, dp += dc, sp += sc) *dp = *sp;
    }
  }
}

void heed_copy(int ndim, const int64_t *shape, const float *src, const int64_t *src_strides,
               float *dst, const int64_t *dst_strides) {
  const int64_t *strides[2] = {dst_strides, src_strides};
  const int64_t base[2] = {0, 0};
  heed_walk w;
  heed_walk_plan(&w, ndim, shape, 2, strides, base);
  const int c_ax = w.nd - 1;
  /* A transpose-like copy (one view strided along the last axis, a broadcast read excepted)
   * walks tiles of the last two axes instead of rows. */
  if (w.nd >= 2 && w.shape[c_ax] >= TILE / 2 && w.shape[c_ax - 1] >= TILE / 2 &&
      (w.strides[0][c_ax] != 1 || (w.strides[1][c_ax] != 1 && w.strides[1][c_ax] != 0))) {
    const int64_t rt = (w.shape[c_ax - 1] + TILE - 1) / TILE, ct = (w.shape[c_ax] + TILE - 1) / TILE;
    const int64_t lead = w.total / (w.shape[c_ax - 1] * w.shape[c_ax]);
    tiled_ctx T = {&w, dst, src, rt, ct};
    heed_parallel_for(lead * rt * ct, w.total, tiled_range, &T);
    return;
  }
  copy_ctx C = {dst, src};
  heed_walk_run(&w, 1, copy_run, &C);
}

typedef struct {
  const float *src;
  float *dst;
  const int32_t *index;
  int64_t cols, n;
} rows_ctx;

static void gather_range(void *arg, int64_t lo, int64_t hi) {
  const rows_ctx *C = arg;
  for (int64_t i = lo; i < hi; i++)
    memcpy(C->dst + i * C->cols, C->src + (int64_t)C->index[i] * C->cols,
           (size_t)C->cols * sizeof(float));
}

void heed_gather_rows(const float *x, int64_t cols, const int32_t *index, int64_t n, float *out) {
  rows_ctx C = {x, out, index, cols, n};
  heed_parallel_for(n, n * cols, gather_range, &C);
}

/* Repeated indices must add up in order, so threads split the columns, never the rows. */
static void scatter_cols(void *arg, int64_t lo, int64_t hi) {
  const rows_ctx *C = arg;
  for (int64_t i = 0; i < C->n; i++) {
    float *d = C->dst + (int64_t)C->index[i] * C->cols;
    const float *s = C->src + i * C->cols;
    HEED_IVDEP for (int64_t j = lo; j < hi; j++) d[j] += s[j];
  }
}

void heed_scatter_add_rows(const float *g, int64_t cols, const int32_t *index, int64_t n,
                           float *out) {
  rows_ctx C = {g, out, index, cols, n};
  heed_parallel_for(cols, n * cols, scatter_cols, &C);
}

typedef struct {
  float *out;
  float value;
} fill_ctx;

static void fill_range(void *arg, int64_t lo, int64_t hi) {
  const fill_ctx *C = arg;
  for (int64_t i = lo; i < hi; i++) C->out[i] = C->value;
}

void heed_fill(float *out, int64_t n, float value) {
  fill_ctx C = {out, value};
  heed_parallel_for(n, n, fill_range, &C);
}
