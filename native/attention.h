/*
 * Fused scaled dot-product attention (FlashAttention): the kernels (attention.c) and their N-API
 * wrappers (addon_attention.c). The layout of every argument is documented on
 * `AttentionParams` in src/backend/backend.ts; this header only restates it for C.
 */
#ifndef HEED_ATTENTION_H
#define HEED_ATTENTION_H

#include <stdint.h>

#include "napi_args.h"

/*
 * Where one tensor's heads live: row i of head b starts at
 *   offset + (b / heads)·sb + (b % heads)·sh + i·st
 * (`heads` from heed_attention_args) and holds its d (or dv) values contiguously. Contiguous
 * [bh, t, d] is {0, t·d, 0, d} with heads = 1; the heads of a [B, T, H·d] projection are
 * {column offset, T·row width, d, row width} with heads = H.
 */
typedef struct {
  int64_t offset, sb, sh, st;
} heed_head_layout;

/*
 * BH independent heads: q [bh, tq, d], k [bh, tk, d], v [bh, tk, dv], out [bh, tq, dv], laid out
 * as lq, lk, lv, lo say (the gradients dq, dk, dv and dout share their tensor's layout; lse and
 * the internal D are contiguous [bh, tq]). Key j is allowed for query i of head b when
 * (!causal || j <= i) and (mask == NULL ||
 * mask[(b / mask_heads)·mask_stride_b + (b % mask_heads)·mask_stride_h + i·mask_stride_q + j]).
 * bh is a multiple of mask_heads and of heads; strides are >= 0 (0 broadcasts). The heads of
 * dq, dk and dv must not overlap (they may share one array).
 */
typedef struct {
  int64_t bh, tq, tk, d, dv;
  float scale;
  int causal;
  const uint8_t *mask;
  int64_t mask_heads, mask_stride_b, mask_stride_h, mask_stride_q;
  const float *q, *k, *v;
  int64_t heads;
  heed_head_layout lq, lk, lv, lo;
} heed_attention_args;

/* The contiguous layout of a [bh, t, width] tensor. */
static inline heed_head_layout heed_contiguous_heads(int64_t t, int64_t width) {
  return (heed_head_layout){0, t * width, 0, width};
}

/* Offset of head b's first row. */
static inline int64_t heed_head_at(const heed_head_layout *l, int64_t heads, int64_t b) {
  return l->offset + (b / heads) * l->sb + (b % heads) * l->sh;
}

/* out [bh, tq, dv] = softmax(scale·q·kᵀ, masked)·v and lse [bh, tq] = the row log-sum-exp
 * (−inf for a row with no allowed key, whose output is 0); when `weights` is not NULL it
 * receives the weights [bh, tq, tk] = exp(scale·q·kᵀ − lse) (0 where blocked and in a row with
 * no allowed key). Returns HEED_OK or HEED_ENOMEM. */
int heed_attention_forward(const heed_attention_args *a, float *out, float *lse, float *weights);

/* dq, dk, dv (overwritten) from the forward's out and lse and the output gradient dout.
 * `weights` (NULL: recomputed tile by tile) are the forward's; `gweights` (NULL: none, needs
 * weights) is the gradient reaching the weights themselves, [bh, tq, tk]. */
int heed_attention_backward(const heed_attention_args *a, const float *out, const float *lse,
                            const float *dout, const float *weights, const float *gweights,
                            float *dq, float *dk, float *dv);

/* The same, built with a given tile size (attention_tiles28.c, attention_tiles64.c); the two
 * above pick one by the number of keys. */
int heed_attention_forward_tiles28(const heed_attention_args *a, float *out, float *lse,
                                   float *weights);
int heed_attention_forward_tiles64(const heed_attention_args *a, float *out, float *lse,
                                   float *weights);
int heed_attention_backward_tiles28(const heed_attention_args *a, const float *out,
                                    const float *lse, const float *dout, const float *weights,
                                    const float *gweights, float *dq, float *dk, float *dv);
int heed_attention_backward_tiles64(const heed_attention_args *a, const float *out,
                                    const float *lse, const float *dout, const float *weights,
                                    const float *gweights, float *dq, float *dk, float *dv);

/* The whole-head kernels for short sequences (attention_short.c, AVX-512 only): whether a
 * problem fits them (at most 64 keys, d and dv at most 32), and the forward and backward without
 * weights. */
int heed_attention_short_fits(const heed_attention_args *a);
int heed_attention_forward_short(const heed_attention_args *a, float *out, float *lse);
int heed_attention_backward_short(const heed_attention_args *a, const float *out, const float *lse,
                                  const float *dout, float *dq, float *dk, float *dv);

napi_value heed_js_attention_forward(napi_env env, napi_callback_info info);
napi_value heed_js_attention_backward(napi_env env, napi_callback_info info);

#endif
