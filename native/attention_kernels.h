/*
 * Fused scaled dot-product attention, FlashAttention style: the Tq×Tk score matrix is never
 * materialised. Queries and keys are cut into BR×BC tiles; each score tile lives in a per-thread
 * buffer only while it is used.
 *
 * Forward (Dao et al. 2022, Algorithm 1, with FlashAttention-2's deferred normalisation): for a
 * block of BR queries, walk the key blocks keeping a running row maximum m, a running sum
 * l = Σ exp(s − m) and an unnormalised output O:
 *   S = scale·Qᵢ·Kⱼᵀ (masked entries −∞),  m' = max(m, rowmax S),  P = exp(S − m'),
 *   l = l·exp(m − m') + rowsum P,  O = O·exp(m − m') + P·Vⱼ,  m = m',
 * then out = O / l and L = m + log l (the row log-sum-exp the backward needs).
 *
 * Backward (FlashAttention-2, Algorithm 2): D = rowsum(dO ∘ O); for a block of BC keys walk the
 * query blocks, recomputing P = exp(S − L) tile by tile:
 *   dVⱼ += Pᵀ·dOᵢ,  dP = dOᵢ·Vⱼᵀ,  dS = P ∘ (dP − D),  dQᵢ += scale·dS·Kⱼ,  dKⱼ += scale·dSᵀ·Qᵢ.
 * Extra memory, never O(Tq·Tk): L (from the forward) and D, O(BH·Tq); per thread, fixed-size tiles
 * plus one head's inputs packed for the micro-kernel (K and V in the forward, Q and dO in the
 * backward: O(T·D), reused for all of that head's blocks) and, when the key blocks of one head
 * are shared between threads, one Tq×D partial dQ.
 *
 * With a weights array the forward also writes the weights W = exp(S − L) [bh, tq, tk]: each
 * tile's P (relative to the running max at that tile) goes straight to W, and once the block's
 * rows are done one pass rescales them by exp(m_tile − m)/l. The backward then reads P from W
 * instead of recomputing S (four tile products instead of five), and takes the weights' own
 * gradient G_W when given: dS = P ∘ (dP + G_W − D) with D = rowsum(dO ∘ O) + rowsum(P ∘ G_W).
 *
 * Every tile product runs on the packed GEMM micro-kernel (gemm_kernel_*.c: AVX-512, AVX2 or
 * portable C); the row work (max, exp, sums; attention_rows.h) is written as lane-parallel
 * loops around a branch-free exp so it vectorises at the same width. A row with no allowed key
 * gets output 0, L = −inf and zero gradients; it never produces NaN.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attention.h"
#include "attention_pack.h"
#include "attention_rows.h"
#include "gemm_blocked.h"
#include "gemm_kernel.h"
#include "heed.h"

/* Tile sizes (HEED_ATT_ROWS queries, rounded up to whole MR-row panels of the micro-kernel, by
 * HEED_ATT_BC keys, whole NR-column panels) and the name suffix of the two entry points come
 * from the file that includes this one: attention_tiles64.c and attention_tiles28.c build the
 * kernels twice, and attention.c picks one by sequence length. */
#if !defined(HEED_ATT_ROWS) || !defined(HEED_ATT_BC) || !defined(HEED_ATT_NAME)
#error "define HEED_ATT_ROWS, HEED_ATT_BC and HEED_ATT_NAME before including attention_kernels.h"
#endif
#define BR (HEED_MR * ((HEED_ATT_ROWS + HEED_MR - 1) / HEED_MR))
#define BC HEED_ATT_BC
/* Key blocks start on a B panel boundary, so a head packed once serves every block. */
_Static_assert(BC % HEED_NR == 0, "HEED_ATT_BC must be a multiple of HEED_NR");

static int64_t min64(int64_t x, int64_t y) { return x < y ? x : y; }
static int64_t ceil_div(int64_t x, int64_t y) { return (x + y - 1) / y; }
/* Floats of a buffer region, rounded up to a 64-byte line so the next region stays aligned. */
static int64_t region(int64_t floats) { return (floats + 15) & ~(int64_t)15; }
/* Rows of an A operand packed in MR-row panels; columns of a B operand packed in NR panels. */
static int64_t panel_rows(int64_t m) { return ceil_div(m, HEED_MR) * HEED_MR; }
static int64_t panel_cols(int64_t n) { return ceil_div(n, HEED_NR) * HEED_NR; }

/* C[m×n] (row stride ldc) = alpha·A·B + beta·C, with A packed as MR-row panels of depth kc
 * (pack_a) and B as NR-column panels (pack_b) that start `b_stride` floats apart: kc·NR
 * for a block packed on its own, T·NR for rows kc of a whole packed head. Edge tiles are trimmed
 * by the kernel. */
static void tile_gemm(int64_t m, int64_t n, int64_t kc, const float *ap, const float *bp,
                      int64_t b_stride, float *c, int64_t ldc, float alpha, float beta) {
  for (int64_t i = 0; i < m; i += HEED_MR) {
    const int mr = (int)min64(HEED_MR, m - i);
    for (int64_t j = 0; j < n; j += HEED_NR)
      heed_gemm_micro(kc, ap + i * kc, bp + j / HEED_NR * b_stride, c + i * ldc + j, ldc, alpha,
                      beta, mr, (int)min64(HEED_NR, n - j));
  }
}

/* The mask rows of head b, or NULL without a mask. */
static const uint8_t *mask_of_head(const heed_attention_args *a, int64_t b) {
  if (a->mask == NULL) return NULL;
  return a->mask + (b / a->mask_heads) * a->mask_stride_b + (b % a->mask_heads) * a->mask_stride_h;
}

/* Whether the score tile (queries i0.., keys j0..j0+bc) has entries to block. */
static int tile_needs_mask(const heed_attention_args *a, const uint8_t *mh, int64_t i0, int64_t j0,
                           int64_t bc) {
  return mh != NULL || (a->causal && j0 + bc - 1 > i0);
}

/* Sets disallowed scores of a tile (row stride BC) to −inf: the boolean mask (0 = blocked), then
 * the causal bound (query i sees keys j ≤ i, top-left aligned). */
static void mask_tile(const heed_attention_args *a, const uint8_t *mh, int64_t i0, int64_t br,
                      int64_t j0, int64_t bc, float *s) {
  for (int64_t r = 0; r < br; r++) {
    float *sr = s + r * BC;
    if (mh != NULL) {
      const uint8_t *mr = mh + (i0 + r) * a->mask_stride_q + j0;
      HEED_IVDEP for (int64_t c = 0; c < bc; c++) sr[c] = mr[c] ? sr[c] : -INFINITY;
    }
    if (a->causal) {
      const int64_t first = i0 + r - j0 + 1; /* first column in query i0 + r's future */
      for (int64_t c = first < 0 ? 0 : first; c < bc; c++) sr[c] = -INFINITY;
    }
  }
}

/* ---- forward ---- */

/* One thread's buffers for the forward. The head's K and V are packed once and reused for all
 * of that head's query blocks the thread takes (O(tk·(d + dv)) floats: one head's keys and
 * values, never a tq×tk matrix); the rest are fixed-size tiles. */
typedef struct {
  float *qa;    /* Qᵢ packed as A: panel_rows(BR) × d */
  float *s;     /* S, then P: BR × BC */
  float *pa;    /* P packed as A: BR × BC */
  float *o;     /* unnormalised output: BR × dv */
  float *m;     /* running row max: BR */
  float *l;     /* running row sums, LANES partial sums per row: BR × LANES */
  float *mt;    /* the current tile's row max: BR */
  float *mtile; /* with weights: each row's running max after each key tile, BR × ⌈tk/BC⌉ */
  float *kt;    /* the head's Kᵀ as B: d × panel_cols(tk); key block j0 at kt + j0·d */
  float *vp;    /* the head's V as B: panels of tk rows; key block j0 at vp + j0·NR */
  int64_t head; /* the head kt and vp hold, −1 before the first */
} fwd_ws;

static int64_t fwd_ws_floats(int64_t tk, int64_t d, int64_t dv) {
  return region(BR * d) + 2 * region(BR * BC) + region(BR * dv) + 2 * region(BR) +
         region(BR * LANES) + region(BR * ceil_div(tk, BC)) +
         region(d * panel_cols(tk)) + region(tk * panel_cols(dv));
}

static fwd_ws fwd_ws_at(float *base, int64_t tk, int64_t d, int64_t dv) {
  fwd_ws w;
  float *p = base;
  w.qa = p, p += region(BR * d);
  w.s = p, p += region(BR * BC);
  w.pa = p, p += region(BR * BC);
  w.o = p, p += region(BR * dv);
  w.m = p, p += region(BR);
  w.l = p, p += region(BR * LANES);
  w.mt = p, p += region(BR);
  w.mtile = p, p += region(BR * ceil_div(tk, BC));
  w.kt = p, p += region(d * panel_cols(tk));
  w.vp = p;
  w.head = -1;
  return w;
}

/* Output rows i0..i0+BR of head b (Algorithm 1 for one query block), and their weights when
 * `weights` is given. */
static void forward_block(const heed_attention_args *a, int64_t b, int64_t i0, float *out,
                          float *lse, float *weights, fwd_ws *w) {
  const int64_t d = a->d, dv = a->dv, tq = a->tq, tk = a->tk;
  const int64_t br = min64(BR, tq - i0);
  const uint8_t *mh = mask_of_head(a, b);
  if (w->head != b) {
    /* Kᵀ as B (element (p, j) is K[j, p]) and V as B, for every key block of the head. */
    heed_att_pack_b(d, tk, a->k + heed_head_at(&a->lk, a->heads, b), 1, a->lk.st, w->kt);
    heed_att_pack_b(tk, dv, a->v + heed_head_at(&a->lv, a->heads, b), a->lv.st, 1, w->vp);
    w->head = b;
  }
  heed_att_pack_a(br, d, a->q + heed_head_at(&a->lq, a->heads, b) + i0 * a->lq.st, a->lq.st, 1, w->qa);
  for (int64_t r = 0; r < br; r++) w->m[r] = -INFINITY;
  memset(w->l, 0, sizeof(float) * (size_t)(br * LANES));
  memset(w->o, 0, sizeof(float) * (size_t)(br * dv));
  /* Causal: keys after the block's last query are blocked for all its rows, so stop there. */
  const int64_t jend = a->causal ? min64(tk, i0 + br) : tk;
  for (int64_t j0 = 0; j0 < jend; j0 += BC) {
    const int64_t bc = min64(BC, jend - j0);
    tile_gemm(br, bc, d, w->qa, w->kt + j0 * d, d * HEED_NR, w->s, BC, a->scale, 0.0f); /* S */
    if (tile_needs_mask(a, mh, i0, j0, bc)) mask_tile(a, mh, i0, br, j0, bc, w->s);
    /* Every row's max first: independent reductions the core can overlap. */
    for (int64_t r = 0; r < br; r++) w->mt[r] = row_max(w->s + r * BC, bc);
    int any = 0;
    for (int64_t r = 0; r < br; r++) {
      float *sr = w->s + r * BC;
      const float mnew = w->mt[r] > w->m[r] ? w->mt[r] : w->m[r];
      if (mnew == -INFINITY) {
        /* No allowed key in this row yet: P = 0 (exp(−inf − (−inf)) would be NaN). */
        memset(sr, 0, sizeof(float) * (size_t)bc);
        continue;
      }
      const float corr = expf(w->m[r] - mnew); /* 0 when m was −inf */
      exp_shift_accumulate(sr, bc, mnew, w->l + r * LANES, corr);
      if (corr != 1.0f) {
        float *orow = w->o + r * dv;
        HEED_IVDEP for (int64_t c = 0; c < dv; c++) orow[c] *= corr;
      }
      w->m[r] = mnew;
      any = 1;
    }
    if (weights != NULL) {
      /* P relative to each row's current max; rescaled once the block is done. */
      const int64_t nt = ceil_div(tk, BC), jt = j0 / BC;
      float *wb = weights + (b * tq + i0) * tk + j0;
      for (int64_t r = 0; r < br; r++) {
        float *dst = wb + r * tk;
        const float *src = w->s + r * BC;
        HEED_IVDEP for (int64_t c = 0; c < bc; c++) dst[c] = src[c];
        w->mtile[r * nt + jt] = w->m[r];
      }
    }
    if (!any) continue;
    /* O += P·Vⱼ */
    heed_att_pack_a(br, bc, w->s, BC, 1, w->pa);
    tile_gemm(br, dv, bc, w->pa, w->vp + j0 * HEED_NR, tk * HEED_NR, w->o, dv, 1.0f, 1.0f);
  }
  float *ob = out + heed_head_at(&a->lo, a->heads, b);
  for (int64_t r = 0; r < br; r++) {
    const float l = lanes_sum(w->l + r * LANES);
    const float *orow = w->o + r * dv;
    float *dst = ob + (i0 + r) * a->lo.st;
    if (l > 0.0f) {
      const float inv = 1.0f / l;
      HEED_IVDEP for (int64_t c = 0; c < dv; c++) dst[c] = orow[c] * inv;
      lse[b * tq + i0 + r] = w->m[r] + logf(l);
    } else {
      /* Every key masked: zero output, L = −inf (the backward then gives zero gradients). */
      memset(dst, 0, sizeof(float) * (size_t)dv);
      lse[b * tq + i0 + r] = -INFINITY;
    }
    if (weights != NULL) {
      /* W = P·exp(m_tile − m)/l tile by tile; zero past the causal bound or in a dead row. */
      float *wr = weights + (b * tq + i0 + r) * tk;
      const int64_t nt = ceil_div(tk, BC);
      const float inv = l > 0.0f ? 1.0f / l : 0.0f;
      for (int64_t j0 = 0; j0 < jend; j0 += BC) {
        const float mj = w->mtile[r * nt + j0 / BC];
        const float f = mj == w->m[r] ? inv : (mj == -INFINITY ? 0.0f : expf(mj - w->m[r]) * inv);
        float *seg = wr + j0;
        const int64_t bc = min64(BC, jend - j0);
        HEED_IVDEP for (int64_t c = 0; c < bc; c++) seg[c] *= f;
      }
      memset(wr + jend, 0, sizeof(float) * (size_t)(tk - jend));
    }
  }
}

/* Threads for a problem of bh·tq·tk·(d + dv) multiply-adds (the kernel's FLOPs / 2). */
static int threads_for(const heed_attention_args *a) {
  return heed_threads_for(a->bh * a->tq * a->tk * (a->d + a->dv));
}

static float *alloc_floats(int64_t floats) {
  const size_t bytes = ((size_t)floats * sizeof(float) + 63) & ~(size_t)63;
  return aligned_alloc(64, bytes > 0 ? bytes : 64);
}

typedef struct {
  const heed_attention_args *a;
  float *out, *lse, *weights;
  fwd_ws *w; /* one per slot: a slot keeps the head it packed from task to task */
  int64_t nqb;
} fwd_run;

static void fwd_item(void *ctx, int64_t it, int slot) {
  const fwd_run *R = ctx;
  forward_block(R->a, it / R->nqb, it % R->nqb * BR, R->out, R->lse, R->weights, R->w + slot);
}

static void fwd_head(void *ctx, int64_t b, int slot) {
  const fwd_run *R = ctx;
  for (int64_t i0 = 0; i0 < R->a->tq; i0 += BR)
    forward_block(R->a, b, i0, R->out, R->lse, R->weights, R->w + slot);
}

int HEED_ATT_NAME(heed_attention_forward)(const heed_attention_args *a, float *out, float *lse,
                                          float *weights) {
  const int64_t bh = a->bh, tq = a->tq, tk = a->tk, d = a->d, dv = a->dv;
  if (bh == 0 || tq == 0) return HEED_OK;
  const int64_t nqb = ceil_div(tq, BR), items = bh * nqb;
  int nt = threads_for(a);
  if (nt > items) nt = (int)items;
  const int64_t per = fwd_ws_floats(tk, d, dv);
  float *ws = alloc_floats(nt * per);
  fwd_ws *wss = malloc(sizeof(fwd_ws) * (size_t)nt);
  if (ws == NULL || wss == NULL) {
    free(ws), free(wss);
    return HEED_ENOMEM;
  }
  for (int t = 0; t < nt; t++) wss[t] = fwd_ws_at(ws + t * per, tk, d, dv);
  /* Query blocks are independent. With several heads per thread, one task per head: each
   * head's K and V are packed once, and a thread's heads are a contiguous run (the rows an
   * earlier product split the same way left in its cache). With fewer heads, one task per block
   * (causal blocks differ in cost); items are numbered head by head, so a thread's next block is
   * usually of the head it has packed. */
  fwd_run R = {a, out, lse, weights, wss, nqb};
  if (bh >= 4 * (int64_t)nt)
    heed_pool_run(nt, bh, fwd_head, &R);
  else
    heed_pool_run(nt, items, fwd_item, &R);
  free(ws), free(wss);
  return HEED_OK;
}

/* ---- backward ---- */

/* One thread's buffers for the backward: the head's Q and dO packed once (as A and as B), the
 * current key block's K and V packed three ways, and fixed-size tiles. */
typedef struct {
  float *qa;  /* the head's Q as A: panel_rows(tq) × d; query block i0 at qa + i0·d */
  float *qb;  /* the head's Q as B: panels of tq rows; block i0 at qb + i0·NR */
  float *ga;  /* the head's dO as A: panel_rows(tq) × dv */
  float *gb;  /* the head's dO as B: panels of tq rows */
  float *kt;  /* Kⱼᵀ as B: d × BC */
  float *vt;  /* Vⱼᵀ as B: dv × BC */
  float *kp;  /* Kⱼ as B: BC × panel_cols(d) */
  float *s;   /* P: BR × BC */
  float *dp;  /* dP, then dS: BR × BC */
  float *pa;  /* dS packed as A: BR × BC */
  float *ta;  /* Pᵀ or dSᵀ packed as A: panel_rows(BC) × BR */
  int64_t head; /* the head qa..gb hold, −1 before the first */
} bwd_ws;

static int64_t bwd_ws_floats(int64_t tq, int64_t d, int64_t dv) {
  return region(panel_rows(tq) * d) + region(tq * panel_cols(d)) + region(panel_rows(tq) * dv) +
         region(tq * panel_cols(dv)) + region(d * BC) + region(dv * BC) +
         region(BC * panel_cols(d)) + 3 * region(BR * BC) + region(panel_rows(BC) * BR);
}

static bwd_ws bwd_ws_at(float *base, int64_t tq, int64_t d, int64_t dv) {
  bwd_ws w;
  float *p = base;
  w.qa = p, p += region(panel_rows(tq) * d);
  w.qb = p, p += region(tq * panel_cols(d));
  w.ga = p, p += region(panel_rows(tq) * dv);
  w.gb = p, p += region(tq * panel_cols(dv));
  w.kt = p, p += region(d * BC);
  w.vt = p, p += region(dv * BC);
  w.kp = p, p += region(BC * panel_cols(d));
  w.s = p, p += region(BR * BC);
  w.dp = p, p += region(BR * BC);
  w.pa = p, p += region(BR * BC);
  w.ta = p;
  w.head = -1;
  return w;
}

typedef struct {
  const heed_attention_args *a;
  const float *out, *lse, *dout;
  const float *w, *gw; /* the weights and their gradient [bh, tq, tk], or NULL */
  float *drow;         /* D = rowsum(dO ∘ O) (+ rowsum(W ∘ G_W)): bh·tq */
  float *dq, *dk, *dv;
} bwd_job;

/* D for rows [lo, hi) of the flattened [bh·tq]. */
static void drow_range(void *ctx, int64_t lo, int64_t hi) {
  const bwd_job *J = ctx;
  const heed_attention_args *a = J->a;
  for (int64_t r = lo; r < hi; r++) {
    const int64_t at = heed_head_at(&a->lo, a->heads, r / a->tq) + r % a->tq * a->lo.st;
    J->drow[r] = dot(J->out + at, J->dout + at, a->dv);
    if (J->gw != NULL) J->drow[r] += dot(J->w + r * a->tk, J->gw + r * a->tk, a->tk);
  }
}

/* Zeroes `rows` rows of `width` floats, `stride` apart. */
static void zero_rows(float *x, int64_t rows, int64_t width, int64_t stride) {
  for (int64_t r = 0; r < rows; r++) memset(x + r * stride, 0, sizeof(float) * (size_t)width);
}

/* dK, dV of keys j0..j0+BC of head b (written), and their share of dQ added to dq_head
 * [tq, d] with rows ldq apart (FlashAttention-2, Algorithm 2, for one key block). */
static void backward_block(const bwd_job *J, int64_t b, int64_t j0, float *dq_head, int64_t ldq,
                           bwd_ws *w) {
  const heed_attention_args *a = J->a;
  const int64_t d = a->d, dv = a->dv, tq = a->tq, tk = a->tk;
  const int64_t bc = min64(BC, tk - j0);
  const uint8_t *mh = mask_of_head(a, b);
  const int64_t ldk = a->lk.st, ldv = a->lv.st;
  if (w->head != b) {
    const float *qh = a->q + heed_head_at(&a->lq, a->heads, b);
    const float *gh = J->dout + heed_head_at(&a->lo, a->heads, b);
    heed_att_pack_a(tq, d, qh, a->lq.st, 1, w->qa);
    heed_att_pack_b(tq, d, qh, a->lq.st, 1, w->qb);
    heed_att_pack_a(tq, dv, gh, a->lo.st, 1, w->ga);
    heed_att_pack_b(tq, dv, gh, a->lo.st, 1, w->gb);
    w->head = b;
  }
  const int64_t kat = heed_head_at(&a->lk, a->heads, b) + j0 * ldk;
  const int64_t vat = heed_head_at(&a->lv, a->heads, b) + j0 * ldv;
  const float *kj = a->k + kat, *vj = a->v + vat;
  float *dkj = J->dk + kat, *dvj = J->dv + vat;
  zero_rows(dkj, bc, d, ldk);
  zero_rows(dvj, bc, dv, ldv);
  heed_att_pack_b(d, bc, kj, 1, ldk, w->kt);  /* Kⱼᵀ, for S */
  heed_att_pack_b(dv, bc, vj, 1, ldv, w->vt); /* Vⱼᵀ, for dP */
  heed_att_pack_b(bc, d, kj, ldk, 1, w->kp);  /* Kⱼ, for dQ */
  /* Causal: queries before j0 see none of these keys. */
  for (int64_t i0 = a->causal ? j0 / BR * BR : 0; i0 < tq; i0 += BR) {
    const int64_t br = min64(BR, tq - i0);
    const float *li = J->lse + b * tq + i0, *di = J->drow + b * tq + i0;
    int any = 0;
    /* P [br, bc] with rows ldp apart: the saved weights in place, or recomputed into w->s. */
    const float *P = w->s;
    int64_t ldp = BC;
    if (J->w != NULL) {
      P = J->w + (b * tq + i0) * tk + j0; /* 0 where blocked */
      ldp = tk;
      for (int64_t r = 0; r < br; r++) any |= li[r] != -INFINITY;
    } else {
      tile_gemm(br, bc, d, w->qa + i0 * d, w->kt, d * HEED_NR, w->s, BC, a->scale, 0.0f); /* S */
      if (tile_needs_mask(a, mh, i0, j0, bc)) mask_tile(a, mh, i0, br, j0, bc, w->s);
      /* P = exp(S − L), recomputed from the saved log-sum-exp; L = −inf marks a row with no
       * allowed key, whose P (and so every gradient it feeds) is 0. */
      for (int64_t r = 0; r < br; r++) {
        float *sr = w->s + r * BC;
        if (li[r] == -INFINITY) {
          memset(sr, 0, sizeof(float) * (size_t)bc);
        } else {
          exp_shift(sr, bc, li[r]);
          any = 1;
        }
      }
    }
    if (!any) continue;
    /* dVⱼ += Pᵀ·dOᵢ */
    heed_att_pack_a(bc, br, P, 1, ldp, w->ta);
    tile_gemm(bc, dv, br, w->ta, w->gb + i0 * HEED_NR, tq * HEED_NR, dvj, ldv, 1.0f, 1.0f);
    /* dP = dOᵢ·Vⱼᵀ, then dS = P ∘ (dP − D) in place */
    tile_gemm(br, bc, dv, w->ga + i0 * dv, w->vt, dv * HEED_NR, w->dp, BC, 1.0f, 0.0f);
    for (int64_t r = 0; r < br; r++) {
      const float *pr = P + r * ldp;
      float *dsr = w->dp + r * BC;
      const float dr = di[r];
      if (J->gw != NULL) {
        const float *gr = J->gw + (b * tq + i0 + r) * tk + j0;
        HEED_IVDEP for (int64_t c = 0; c < bc; c++) dsr[c] = pr[c] * (dsr[c] + gr[c] - dr);
      } else {
        HEED_IVDEP for (int64_t c = 0; c < bc; c++) dsr[c] = pr[c] * (dsr[c] - dr);
      }
    }
    /* dQᵢ += scale·dS·Kⱼ */
    heed_att_pack_a(br, bc, w->dp, BC, 1, w->pa);
    tile_gemm(br, d, bc, w->pa, w->kp, bc * HEED_NR, dq_head + i0 * ldq, ldq, a->scale, 1.0f);
    /* dKⱼ += scale·dSᵀ·Qᵢ */
    heed_att_pack_a(bc, br, w->dp, 1, BC, w->ta);
    tile_gemm(bc, d, br, w->ta, w->qb + i0 * HEED_NR, tq * HEED_NR, dkj, ldk, a->scale, 1.0f);
  }
}

/* The backward's threaded loops: whole heads, or the key blocks of one head. */
typedef struct {
  const bwd_job *J;
  bwd_ws *w; /* one per slot: a slot keeps the head it packed from task to task */
  int64_t nkb, head;
  float *partial; /* one tq×d partial dQ per slot, when heads are shared */
} bwd_run;

static void bwd_head(void *ctx, int64_t b, int slot) {
  const bwd_run *R = ctx;
  const heed_attention_args *a = R->J->a;
  for (int64_t jb = 0; jb < R->nkb; jb++)
    backward_block(R->J, b, jb * BC, R->J->dq + heed_head_at(&a->lq, a->heads, b), a->lq.st,
                   R->w + slot);
}

static void bwd_key_block(void *ctx, int64_t jb, int slot) {
  const bwd_run *R = ctx;
  const heed_attention_args *a = R->J->a;
  backward_block(R->J, R->head, jb * BC, R->partial + slot * a->tq * a->d, a->d, R->w + slot);
}

typedef struct {
  const float *partial;
  float *dqh;
  int64_t ldq, size, d;
  int parts;
} dq_sum;

static void dq_sum_range(void *ctx, int64_t lo, int64_t hi) {
  const dq_sum *S = ctx;
  for (int64_t x = lo; x < hi; x++) {
    float sum = 0.0f;
    for (int u = 0; u < S->parts; u++) sum += S->partial[u * S->size + x];
    S->dqh[x / S->d * S->ldq + x % S->d] = sum;
  }
}

int HEED_ATT_NAME(heed_attention_backward)(const heed_attention_args *a, const float *out,
                                           const float *lse, const float *dout,
                                           const float *weights, const float *gweights,
                                           float *dq, float *dk, float *dv) {
  const int64_t bh = a->bh, tq = a->tq, tk = a->tk, d = a->d;
  for (int64_t b = 0; b < bh; b++)
    zero_rows(dq + heed_head_at(&a->lq, a->heads, b), tq, d, a->lq.st);
  if (bh == 0 || tk == 0) return HEED_OK;
  if (tq == 0) {
    for (int64_t b = 0; b < bh; b++) {
      zero_rows(dk + heed_head_at(&a->lk, a->heads, b), tk, d, a->lk.st);
      zero_rows(dv + heed_head_at(&a->lv, a->heads, b), tk, a->dv, a->lv.st);
    }
    return HEED_OK;
  }
  const int64_t nkb = ceil_div(tk, BC);
  int nt = threads_for(a);
  /* Whole heads per thread when they share out evenly (dQ rows then have one writer); else the
   * key blocks of each head are shared and every thread adds into its own partial dQ. */
  const int by_head = nt <= 1 || (bh >= nt && (bh % nt == 0 || bh >= 4 * (int64_t)nt));
  if (by_head && nt > bh) nt = (int)bh;
  if (!by_head && nt > nkb) nt = (int)nkb;
  const int64_t per = bwd_ws_floats(tq, d, a->dv);
  float *ws = alloc_floats(nt * per);
  float *drow = alloc_floats(bh * tq);
  float *partial = by_head ? NULL : calloc((size_t)(nt * tq * d), sizeof(float));
  bwd_ws *wss = malloc(sizeof(bwd_ws) * (size_t)nt);
  if (ws == NULL || drow == NULL || (!by_head && partial == NULL) || wss == NULL) {
    free(ws), free(drow), free(partial), free(wss);
    return HEED_ENOMEM;
  }
  for (int t = 0; t < nt; t++) wss[t] = bwd_ws_at(ws + t * per, tq, d, a->dv);
  bwd_job J = {a, out, lse, dout, weights, gweights, drow, dq, dk, dv};
  heed_parallel_for(bh * tq, bh * tq * a->dv, drow_range, &J);
  bwd_run R = {&J, wss, nkb, 0, partial};
  if (by_head) {
    heed_pool_run(nt, bh, bwd_head, &R);
  } else {
    for (int64_t b = 0; b < bh; b++) {
      memset(partial, 0, sizeof(float) * (size_t)(nt * tq * d));
      R.head = b;
      heed_pool_run(nt, nkb, bwd_key_block, &R);
      /* Every partial dQ of head b is complete: sum them. */
      dq_sum S = {partial, dq + heed_head_at(&a->lq, a->heads, b), a->lq.st, tq * d, d, nt};
      heed_parallel_for(tq * d, tq * d * nt, dq_sum_range, &S);
    }
  }
  free(ws), free(drow), free(partial), free(wss);
  return HEED_OK;
}
