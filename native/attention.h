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
 * BH independent heads: q [bh, tq, d], k [bh, tk, d], v [bh, tk, dv], contiguous. Key j is
 * allowed for query i of head b when (!causal || j <= i) and (mask == NULL ||
 * mask[(b / mask_heads)·mask_stride_b + (b % mask_heads)·mask_stride_h + i·mask_stride_q + j]).
 * bh is a multiple of mask_heads; strides are >= 0 (0 broadcasts).
 */
typedef struct {
  int64_t bh, tq, tk, d, dv;
  float scale;
  int causal;
  const uint8_t *mask;
  int64_t mask_heads, mask_stride_b, mask_stride_h, mask_stride_q;
  const float *q, *k, *v;
} heed_attention_args;

/* out [bh, tq, dv] = softmax(scale·q·kᵀ, masked)·v and lse [bh, tq] = the row log-sum-exp
 * (−inf for a row with no allowed key, whose output is 0). Returns HEED_OK or HEED_ENOMEM. */
int heed_attention_forward(const heed_attention_args *a, float *out, float *lse);

/* dq, dk, dv (overwritten) from the forward's out and lse and the output gradient dout. */
int heed_attention_backward(const heed_attention_args *a, const float *out, const float *lse,
                            const float *dout, float *dq, float *dk, float *dv);

napi_value heed_js_attention_forward(napi_env env, napi_callback_info info);
napi_value heed_js_attention_backward(napi_env env, napi_callback_info info);

#endif
