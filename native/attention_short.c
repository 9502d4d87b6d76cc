/*
 * Fused attention for short sequences on AVX-512: at most 64 keys and heads of at most 32 values
 * (d, dv ≤ 32), such as GPT's heads of 32 at T 64. The tiled kernels (attention_kernels.h) walk
 * key tiles with an online softmax and pack every operand into the GEMM micro-kernel's panels;
 * for a head this small that bookkeeping cost more than the products (in a profile at T 64, the
 * micro-kernel ran ~40% of the time). Here one task takes a whole head, eight queries at a time:
 *
 *   forward, for each panel of 8 queries i:  S = scale·Qᵢ·Kᵀ (masked to −inf) for every key the
 *     panel may see, one row max and sum per query (no rescaling: all the keys are at hand),
 *     P = exp(S − m)/l, out = P·V, L = m + log l;
 *   backward, for each panel:  P = exp(S − L) recomputed, dP = dOᵢ·Vᵀ, dS = P ∘ (dP − D) with
 *     D = rowsum(dO ∘ O), dQᵢ = scale·dS·K, and dK += scale·dSᵀ·Qᵢ, dV += Pᵀ·dOᵢ in per-head
 *     accumulators written once at the end.
 *
 * Queries, values and output gradients are read in place through their layouts (a broadcast
 * reads any address as cheaply as a packed one); only Kᵀ (and Vᵀ in the backward) are packed,
 * once per head, as 32-key panels. The products keep 8 rows × 32 columns in 16 registers. A
 * panel's last rows past the head's end repeat its last query, and their contributions to dK and
 * dV are zeroed, so every loop runs full width. Causal panels stop at their last query's key.
 * A query with no allowed key gets output 0, L = −inf and zero gradients, as in the tiled
 * kernels; attention.c sends problems without weights here when heed_attention_short_fits.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "attention.h"
#include "attention_pack.h"
#include "gemm_kernel.h"
#include "heed.h"

#if defined(__AVX512F__) && HEED_NR == 32
#include <immintrin.h>

#include "vmath.h"

#define MAX_TK 64 /* keys: two 32-key panels, and the row stride of the score buffers */
#define MAX_D 32  /* head size (q, k) and value size: two vectors per row */
#define PR 8      /* queries per panel */

int heed_attention_short_fits(const heed_attention_args *a) {
  return a->tk >= 1 && a->tk <= MAX_TK && a->d >= 1 && a->d <= MAX_D && a->dv >= 1 &&
         a->dv <= MAX_D && a->bh >= 1 && a->tq >= 1;
}

#define ROWS8(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)

static inline __mmask16 lanes(int64_t n) {
  return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1u);
}

/* eˣ (vmath.h), with a masked score (−inf) giving exactly 0. */
static inline __m512 exp16(__m512 x) {
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_set1_ps(-INFINITY), _CMP_EQ_OQ), hv_exp(x),
                              _mm512_setzero_ps());
}

/* s[r·MAX_TK + j] = scale · Σₚ rows[r][p] · bt(p, j) for the 8 rows and keys j < kend, with bt
 * packed by heed_att_pack_b as 32-key panels kc·32 floats apart (zero past the last key). */
static void panel_products(const float *const rows[PR], int64_t kc, const float *bt, int64_t kend,
                           float scale, float *s) {
  const __m512 vs = _mm512_set1_ps(scale);
  for (int64_t h = 0; h * 32 < kend; h++) {
    const float *bp = bt + h * kc * 32;
#define DECL(r)                                                    \
  __m512 c##r##0 = _mm512_setzero_ps(), c##r##1 = _mm512_setzero_ps(); \
  const float *a##r = rows[r];
    ROWS8(DECL)
#undef DECL
    for (int64_t p = 0; p < kc; p++, bp += 32) {
      const __m512 b0 = _mm512_load_ps(bp), b1 = _mm512_load_ps(bp + 16);
#define STEP(r)                                     \
  {                                                 \
    const __m512 x = _mm512_set1_ps(a##r[p]);       \
    c##r##0 = _mm512_fmadd_ps(x, b0, c##r##0);      \
    c##r##1 = _mm512_fmadd_ps(x, b1, c##r##1);      \
  }
      ROWS8(STEP)
#undef STEP
    }
#define STORE(r)                                                            \
  _mm512_store_ps(s + (r) * MAX_TK + h * 32, _mm512_mul_ps(vs, c##r##0));    \
  _mm512_store_ps(s + (r) * MAX_TK + h * 32 + 16, _mm512_mul_ps(vs, c##r##1));
    ROWS8(STORE)
#undef STORE
  }
}

/* acc rows r (two vectors each) = Σ_{j<kend} w[r·MAX_TK + j] · x_j, x_j the 32-value rows of a
 * tensor (row j at x + j·st, `m0`/`m1` masking its width); stored into dst rows r < pr,
 * dst_st apart, masked the same way. */
static void panel_weighted_rows(const float *w, int64_t kend, const float *x, int64_t st,
                                __mmask16 m0, __mmask16 m1, float *dst, int64_t dst_st, int pr,
                                float alpha) {
#define DECL(r) __m512 o##r##0 = _mm512_setzero_ps(), o##r##1 = _mm512_setzero_ps();
  ROWS8(DECL)
#undef DECL
  for (int64_t j = 0; j < kend; j++) {
    const __m512 x0 = _mm512_maskz_loadu_ps(m0, x + j * st);
    const __m512 x1 = _mm512_maskz_loadu_ps(m1, x + j * st + 16);
#define STEP(r)                                             \
  {                                                         \
    const __m512 p = _mm512_set1_ps(w[(r) * MAX_TK + j]);   \
    o##r##0 = _mm512_fmadd_ps(p, x0, o##r##0);              \
    o##r##1 = _mm512_fmadd_ps(p, x1, o##r##1);              \
  }
    ROWS8(STEP)
#undef STEP
  }
  const __m512 va = _mm512_set1_ps(alpha);
#define STORE(r)                                                                    \
  if ((r) < pr) {                                                                   \
    _mm512_mask_storeu_ps(dst + (r) * dst_st, m0, _mm512_mul_ps(va, o##r##0));      \
    _mm512_mask_storeu_ps(dst + (r) * dst_st + 16, m1, _mm512_mul_ps(va, o##r##1)); \
  }
  ROWS8(STORE)
#undef STORE
}

/* acc[j] += Σ_r w[r·MAX_TK + j] · x_r for j < kend: the transposed product dSᵀ·Qᵢ (or Pᵀ·dOᵢ),
 * with the panel's 8 rows of x (32 values, `m0`/`m1` masking the width) held in registers and
 * acc a contiguous [MAX_TK, 32] accumulator. */
static void panel_transposed_rows(const float *w, int64_t kend, const float *const rows[PR],
                                  __mmask16 m0, __mmask16 m1, float *acc) {
#define LOAD(r)                                              \
  const __m512 x##r##0 = _mm512_maskz_loadu_ps(m0, rows[r]); \
  const __m512 x##r##1 = _mm512_maskz_loadu_ps(m1, rows[r] + 16);
  ROWS8(LOAD)
#undef LOAD
  for (int64_t j = 0; j < kend; j++) {
    __m512 a0 = _mm512_load_ps(acc + j * MAX_D), a1 = _mm512_load_ps(acc + j * MAX_D + 16);
#define STEP(r)                                           \
  {                                                       \
    const __m512 p = _mm512_set1_ps(w[(r) * MAX_TK + j]); \
    a0 = _mm512_fmadd_ps(p, x##r##0, a0);                 \
    a1 = _mm512_fmadd_ps(p, x##r##1, a1);                 \
  }
    ROWS8(STEP)
#undef STEP
    _mm512_store_ps(acc + j * MAX_D, a0);
    _mm512_store_ps(acc + j * MAX_D + 16, a1);
  }
}

/* One head's view of the problem: the rows of q, k, v, out and the mask of head b. */
typedef struct {
  const heed_attention_args *a;
  const float *q, *k, *v;
  const uint8_t *mask;
  int64_t b;
} head_view;

static head_view head_of(const heed_attention_args *a, int64_t b) {
  head_view h = {a, a->q + heed_head_at(&a->lq, a->heads, b), a->k + heed_head_at(&a->lk, a->heads, b),
                 a->v + heed_head_at(&a->lv, a->heads, b), NULL, b};
  if (a->mask != NULL)
    h.mask = a->mask + (b / a->mask_heads) * a->mask_stride_b + (b % a->mask_heads) * a->mask_stride_h;
  return h;
}

/* The keys the panel starting at query i0 may see: all, or up to its last query when causal. */
static int64_t panel_keys(const heed_attention_args *a, int64_t i0, int pr) {
  return a->causal && i0 + pr < a->tk ? i0 + pr : a->tk;
}

/* Row pointers of the panel's 8 queries of x (row stride st), the last one repeated past pr. */
static void panel_rows(const float *x, int64_t st, int64_t i0, int pr, const float *rows[PR]) {
  for (int r = 0; r < PR; r++) rows[r] = x + (i0 + (r < pr ? r : pr - 1)) * st;
}

/* Sets the blocked scores of the panel's rows (keys j < kend) to −inf. */
static void mask_panel(const head_view *h, int64_t i0, int pr, int64_t kend, float *s) {
  const heed_attention_args *a = h->a;
  for (int r = 0; r < PR; r++) {
    const int64_t i = i0 + (r < pr ? r : pr - 1);
    float *sr = s + r * MAX_TK;
    if (h->mask != NULL) {
      const uint8_t *mr = h->mask + i * a->mask_stride_q;
      for (int64_t j = 0; j < kend; j++)
        if (!mr[j]) sr[j] = -INFINITY;
    }
    if (a->causal)
      for (int64_t j = i + 1; j < kend; j++) sr[j] = -INFINITY;
  }
}

/* The panel's scores: S = scale·Qᵢ·Kᵀ, masked. */
static void panel_scores(const head_view *h, const float *kt, int64_t i0, int pr, int64_t kend,
                         float *s) {
  const heed_attention_args *a = h->a;
  const float *rows[PR];
  panel_rows(h->q, a->lq.st, i0, pr, rows);
  panel_products(rows, a->d, kt, kend, a->scale, s);
  if (h->mask != NULL || a->causal) mask_panel(h, i0, pr, kend, s);
}

/* ---- forward ---- */

typedef struct {
  const heed_attention_args *a;
  float *out, *lse;
} fwd_job;

static void forward_head(void *ctx, int64_t b, int slot) {
  (void)slot;
  const fwd_job *J = ctx;
  const heed_attention_args *a = J->a;
  const int64_t tq = a->tq, tk = a->tk, dv = a->dv;
  const head_view h = head_of(a, b);
  _Alignas(64) float kt[MAX_D * MAX_TK];
  _Alignas(64) float s[PR * MAX_TK];
  heed_att_pack_b(a->d, tk, h.k, 1, a->lk.st, kt); /* Kᵀ: element (p, j) = K[j, p] */
  float *ob = J->out + heed_head_at(&a->lo, a->heads, b);
  const __mmask16 v0 = lanes(dv), v1 = lanes(dv - 16);
  for (int64_t i0 = 0; i0 < tq; i0 += PR) {
    const int pr = (int)(tq - i0 < PR ? tq - i0 : PR);
    const int64_t kend = panel_keys(a, i0, pr);
    panel_scores(&h, kt, i0, pr, kend, s);
    for (int r = 0; r < PR; r++) {
      float *sr = s + r * MAX_TK;
      __m512 mx = _mm512_set1_ps(-INFINITY);
      for (int64_t c = 0; c < kend; c += 16)
        mx = _mm512_max_ps(mx, _mm512_mask_loadu_ps(mx, lanes(kend - c), sr + c));
      const float m = _mm512_reduce_max_ps(mx);
      float l = 0.0f;
      if (m == -INFINITY) {
        memset(sr, 0, sizeof(float) * (size_t)kend); /* no allowed key: P = 0 */
      } else {
        __m512 sum = _mm512_setzero_ps();
        for (int64_t c = 0; c < kend; c += 16) {
          const __mmask16 k = lanes(kend - c);
          const __m512 e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, sr + c), _mm512_set1_ps(m)));
          sum = _mm512_add_ps(sum, _mm512_maskz_mov_ps(k, e));
          _mm512_mask_storeu_ps(sr + c, k, e);
        }
        l = _mm512_reduce_add_ps(sum);
      }
      /* P = e/l; a row with no allowed key has P = 0 (and output 0, L = −inf). */
      const __m512 inv = _mm512_set1_ps(l > 0.0f ? 1.0f / l : 0.0f);
      for (int64_t c = 0; c < kend; c += 16) {
        const __mmask16 k = lanes(kend - c);
        _mm512_mask_storeu_ps(sr + c, k, _mm512_mul_ps(inv, _mm512_maskz_loadu_ps(k, sr + c)));
      }
      if (r < pr) J->lse[b * tq + i0 + r] = l > 0.0f ? m + logf(l) : -INFINITY;
    }
    /* out rows = P·V */
    panel_weighted_rows(s, kend, h.v, a->lv.st, v0, v1, ob + i0 * a->lo.st, a->lo.st, pr, 1.0f);
  }
}

int heed_attention_forward_short(const heed_attention_args *a, float *out, float *lse) {
  fwd_job J = {a, out, lse};
  heed_pool_run(heed_threads_for(a->bh * a->tq * a->tk * (a->d + a->dv)), a->bh, forward_head, &J);
  return HEED_OK;
}

/* ---- backward ---- */

typedef struct {
  const heed_attention_args *a;
  const float *out, *lse, *dout;
  float *dq, *dk, *dv;
} bwd_job;

static void backward_head(void *ctx, int64_t b, int slot) {
  (void)slot;
  const bwd_job *J = ctx;
  const heed_attention_args *a = J->a;
  const int64_t tq = a->tq, tk = a->tk, d = a->d, dv = a->dv;
  const head_view h = head_of(a, b);
  _Alignas(64) float kt[MAX_D * MAX_TK], vt[MAX_D * MAX_TK];
  _Alignas(64) float s[PR * MAX_TK], ds[PR * MAX_TK];
  _Alignas(64) float dk_acc[MAX_TK * MAX_D], dv_acc[MAX_TK * MAX_D];
  heed_att_pack_b(d, tk, h.k, 1, a->lk.st, kt);   /* Kᵀ */
  heed_att_pack_b(dv, tk, h.v, 1, a->lv.st, vt); /* Vᵀ */
  memset(dk_acc, 0, sizeof(float) * (size_t)(tk * MAX_D));
  memset(dv_acc, 0, sizeof(float) * (size_t)(tk * MAX_D));
  const int64_t ob = heed_head_at(&a->lo, a->heads, b);
  const float *gout = J->dout + ob, *oh = J->out + ob;
  const float *lh = J->lse + b * tq;
  float *dqh = J->dq + heed_head_at(&a->lq, a->heads, b);
  const __mmask16 d0 = lanes(d), d1 = lanes(d - 16), v0 = lanes(dv), v1 = lanes(dv - 16);
  for (int64_t i0 = 0; i0 < tq; i0 += PR) {
    const int pr = (int)(tq - i0 < PR ? tq - i0 : PR);
    const int64_t kend = panel_keys(a, i0, pr);
    panel_scores(&h, kt, i0, pr, kend, s);
    /* dP = dOᵢ·Vᵀ */
    const float *grows[PR], *qrows[PR];
    panel_rows(gout, a->lo.st, i0, pr, grows);
    panel_rows(h.q, a->lq.st, i0, pr, qrows);
    panel_products(grows, dv, vt, kend, 1.0f, ds);
    for (int r = 0; r < PR; r++) {
      float *pr_row = s + r * MAX_TK, *ds_row = ds + r * MAX_TK;
      const float li = r < pr ? lh[i0 + r] : -INFINITY; /* repeated rows contribute nothing */
      if (li == -INFINITY) {
        memset(pr_row, 0, sizeof(float) * (size_t)kend);
        memset(ds_row, 0, sizeof(float) * (size_t)kend);
        continue;
      }
      /* D = dOᵢ·Oᵢ */
      const float *orow = oh + (i0 + r) * a->lo.st;
      const __m512 dd = _mm512_fmadd_ps(
          _mm512_maskz_loadu_ps(v0, grows[r]), _mm512_maskz_loadu_ps(v0, orow),
          _mm512_mul_ps(_mm512_maskz_loadu_ps(v1, grows[r] + 16), _mm512_maskz_loadu_ps(v1, orow + 16)));
      const __m512 vd = _mm512_set1_ps(_mm512_reduce_add_ps(dd)), vl = _mm512_set1_ps(li);
      for (int64_t c = 0; c < kend; c += 16) {
        const __mmask16 k = lanes(kend - c);
        const __m512 p = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, pr_row + c), vl));
        _mm512_mask_storeu_ps(pr_row + c, k, p);
        const __m512 g = _mm512_sub_ps(_mm512_maskz_loadu_ps(k, ds_row + c), vd);
        _mm512_mask_storeu_ps(ds_row + c, k, _mm512_mul_ps(p, g));
      }
    }
    /* dQᵢ = scale·dS·K, written (each query row belongs to one panel of one task) */
    panel_weighted_rows(ds, kend, h.k, a->lk.st, d0, d1, dqh + i0 * a->lq.st, a->lq.st, pr, a->scale);
    /* dK += dSᵀ·Qᵢ (scaled at the end), dV += Pᵀ·dOᵢ */
    panel_transposed_rows(ds, kend, qrows, d0, d1, dk_acc);
    panel_transposed_rows(s, kend, grows, v0, v1, dv_acc);
  }
  float *dkh = J->dk + heed_head_at(&a->lk, a->heads, b);
  float *dvh = J->dv + heed_head_at(&a->lv, a->heads, b);
  const __m512 vs = _mm512_set1_ps(a->scale);
  for (int64_t j = 0; j < tk; j++) {
    const float *kr = dk_acc + j * MAX_D, *vr = dv_acc + j * MAX_D;
    _mm512_mask_storeu_ps(dkh + j * a->lk.st, d0, _mm512_mul_ps(vs, _mm512_load_ps(kr)));
    _mm512_mask_storeu_ps(dkh + j * a->lk.st + 16, d1, _mm512_mul_ps(vs, _mm512_load_ps(kr + 16)));
    _mm512_mask_storeu_ps(dvh + j * a->lv.st, v0, _mm512_load_ps(vr));
    _mm512_mask_storeu_ps(dvh + j * a->lv.st + 16, v1, _mm512_load_ps(vr + 16));
  }
}

int heed_attention_backward_short(const heed_attention_args *a, const float *out, const float *lse,
                                  const float *dout, float *dq, float *dk, float *dv) {
  bwd_job J = {a, out, lse, dout, dq, dk, dv};
  heed_pool_run(heed_threads_for(a->bh * a->tq * a->tk * (a->d + a->dv)), a->bh, backward_head, &J);
  return HEED_OK;
}

#else /* no AVX-512: nothing fits, and the tiled kernels take every problem */

int heed_attention_short_fits(const heed_attention_args *a) {
  (void)a;
  return 0;
}

int heed_attention_forward_short(const heed_attention_args *a, float *out, float *lse) {
  return heed_attention_forward_tiles28(a, out, lse, NULL);
}

int heed_attention_backward_short(const heed_attention_args *a, const float *out, const float *lse,
                                  const float *dout, float *dq, float *dk, float *dv) {
  return heed_attention_backward_tiles28(a, out, lse, dout, NULL, NULL, dq, dk, dv);
}

#endif
