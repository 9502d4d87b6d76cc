/*
 * A strided N-d walker over up to four operands that share one iteration shape (an output and
 * its broadcast inputs, or a copy's source and destination). The plan drops size-1 axes and
 * merges axes that are contiguous for every operand, so most real layouts collapse to one or two
 * axes; the walk then hands out runs of the last axis to a row function, split across threads.
 */
#ifndef HEED_WALK_H
#define HEED_WALK_H

#include <stdint.h>

#include "heed.h"

#define HEED_WALK_MAX_OPS 4

typedef struct {
  int nd;      /* collapsed rank, >= 1 */
  int nops;    /* operands */
  int64_t total;
  int64_t shape[HEED_MAX_DIMS];
  int64_t strides[HEED_WALK_MAX_OPS][HEED_MAX_DIMS];
  int64_t base[HEED_WALK_MAX_OPS];
} heed_walk;

/* Called for each run: `len` elements starting at operand offsets offs[t], stepping inner[t]. */
typedef void (*heed_run_fn)(void *ctx, int64_t len, const int64_t *offs, const int64_t *inner);

/* strides[t] gives operand t's stride for each axis of shape; base[t] its starting offset. */
void heed_walk_plan(heed_walk *w, int ndim, const int64_t *shape, int nops,
                    const int64_t *const *strides, const int64_t *base);

/* Runs the plan; `cost` scales the element count into the threading threshold. */
void heed_walk_run(const heed_walk *w, int64_t cost, heed_run_fn fn, void *ctx);

/* Strides that read a row-major array of `in_shape` broadcast to `out_shape` (0 on size-1 axes). */
void heed_broadcast_strides(int ndim, const int64_t *in_shape, int64_t *strides);

/* Row-major strides of `shape` itself. */
void heed_contiguous_strides(int ndim, const int64_t *shape, int64_t *strides);

#endif
