/*
 * The fused attention entry points. Short problems without weights (at most 64 keys, heads of at
 * most 32) go to the whole-head kernels of attention_short.c on AVX-512: at T 64 with heads of 32
 * (48 causal heads, one thread) they took 266–269 µs forward and 500–522 backward against
 * 461–470 and 854–878 for the 28 × 32 tiles, alternating in one process. Everything else runs
 * one build of the tiled kernels (attention_kernels.h) per tile size, chosen by the number of
 * keys. Measured on one Zen 4 core, 48 causal heads of 32 (BENCHMARKS.md):
 * 28 × 32 tiles against 64 × 64 took 463 against 565 µs forward and 852 against 1042 backward at
 * T 64, 5.1 against 6.2 ms and 10.5 against 11.3 at T 256, but 4–8% longer at T 1024.
 */
#include "attention.h"

/* Up to this many keys the small tiles are used. */
#define SMALL_TILES_MAX_TK 256

int heed_attention_forward(const heed_attention_args *a, float *out, float *lse, float *weights) {
  if (weights == NULL && heed_attention_short_fits(a)) return heed_attention_forward_short(a, out, lse);
  return a->tk <= SMALL_TILES_MAX_TK ? heed_attention_forward_tiles28(a, out, lse, weights)
                                     : heed_attention_forward_tiles64(a, out, lse, weights);
}

int heed_attention_backward(const heed_attention_args *a, const float *out, const float *lse,
                            const float *dout, const float *weights, const float *gweights,
                            float *dq, float *dk, float *dv) {
  if (weights == NULL && gweights == NULL && heed_attention_short_fits(a))
    return heed_attention_backward_short(a, out, lse, dout, dq, dk, dv);
  return a->tk <= SMALL_TILES_MAX_TK
             ? heed_attention_backward_tiles28(a, out, lse, dout, weights, gweights, dq, dk, dv)
             : heed_attention_backward_tiles64(a, out, lse, dout, weights, gweights, dq, dk, dv);
}
