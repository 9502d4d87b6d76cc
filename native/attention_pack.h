/*
 * Packing into the micro-kernel's layouts (gemm_kernel.h) for the attention kernels: A as MR-row
 * panels k-major, B as NR-column panels k-major, zero-padded. With AVX-512 and the 14×32 tile
 * they move 16 floats at a time, transposing 16×16 blocks in registers; otherwise they are the
 * shared packers of gemm_pack.c.
 */
#ifndef HEED_ATTENTION_PACK_H
#define HEED_ATTENTION_PACK_H

#include <stdint.h>

/* A (rows × kc), element (i, p) at a[i·rs + p·cs], into MR-row panels: Ap[p·MR + i]. */
void heed_att_pack_a(int64_t rows, int64_t kc, const float *a, int64_t rs, int64_t cs, float *Ap);
/* B (kc × nc), element (p, j) at b[p·rs + j·cs], into NR-column panels: Bp[p·NR + j]. */
void heed_att_pack_b(int64_t kc, int64_t nc, const float *b, int64_t rs, int64_t cs, float *Bp);

#endif
