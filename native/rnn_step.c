/*
 * The pointwise part of one LSTM or GRU step, fused: every gate nonlinearity and state update in
 * one pass over the [B, H] cells, and the matching backward in one pass, with no intermediate
 * arrays. The GEMMs around them (h·W_hhᵀ forward; dgates·W_hh and dgatesᵀ·h backward) stay in
 * gemm.c. Gate blocks are PyTorch's: an LSTM row of `gates` is [i | f | g | o], a GRU row of
 * the projections is [r | z | n], each block H wide.
 *
 * Work is split over the B·H cells (not over rows), so a batch of one still runs on every
 * thread; each thread walks its range row segment by row segment, HV_WIDTH lanes at a time
 * (vmath.h), with one masked partial vector at each segment's end. The composed steps in
 * src/nn/rnn/steps.ts are the reference these must match.
 */
#include "heed.h"
#include "vmath.h"

/* Work units per cell for heed_parallel_for (by default threads from 16,384 cells forward,
 * 32,768 backward; heed.h). The forward's five vectorised exp-based functions cost ~2 ns per
 * cell, so a 32×256 step takes ~18 µs on one thread and a 16,384-cell one ~35 µs, well above a
 * job's ~1 µs hand-over to an awake pool worker. */
#define FWD_COST 4
#define BWD_COST 2

/* n ≤ HV_WIDTH lanes from p: a full vector, or a masked partial one at a row's end. */
static inline hv_f ld(const float *p, int n) {
  return n == HV_WIDTH ? hv_load(p) : hv_load_part(p, n);
}

static inline void st(float *p, hv_f v, int n) {
  if (n == HV_WIDTH)
    hv_store(p, v);
  else
    hv_store_part(p, v, n);
}

/* Calls FN(C, b, j, n) for the n ≤ HV_WIDTH cells (b, j..j+n) of the flat cell range [lo, hi)
 * of a [B, hidden] grid, never crossing a row. */
#define FOR_CHUNKS(lo, hi, hidden, FN, C)                         \
  for (int64_t e = (lo); e < (hi);) {                             \
    const int64_t b = e / (hidden), j0 = e % (hidden);            \
    int64_t j1 = (hidden);                                        \
    if ((hi) - e < j1 - j0) j1 = j0 + ((hi) - e);                 \
    for (int64_t j = j0; j < j1; j += HV_WIDTH)                   \
      FN((C), b, j, j1 - j < HV_WIDTH ? (int)(j1 - j) : HV_WIDTH); \
    e += j1 - j0;                                                 \
  }

/* σ'(s) = s(1 − s) and tanh'(t) = 1 − t² from the saved activations. */
static inline hv_f dsigmoid(hv_f s) { return hv_mul(s, hv_sub(hv_set1(1.0f), s)); }
static inline hv_f dtanh(hv_f t) { return hv_sub(hv_set1(1.0f), hv_mul(t, t)); }

/* ---- LSTM ---------------------------------------------------------------------------------- */

typedef struct {
  const float *gates, *c, *act, *tanh_c, *dh, *dc_next;
  float *act_out, *c_next, *tanh_c_out, *h_next, *dgates, *dc;
  int64_t hidden;
} lstm_ctx;

/*   i, f, o = σ(zᵢ), σ(z_f), σ(z_o);  g = tanh(z_g)
 *   c' = f ⊙ c + i ⊙ g;  h' = o ⊙ tanh(c')
 * All four gate loads precede the stores, so act_out may be gates. */
static inline void lstm_forward_chunk(const lstm_ctx *C, int64_t b, int64_t j, int n) {
  const int64_t H = C->hidden, g0 = b * 4 * H + j, s0 = b * H + j;
  const hv_f i = hv_sigmoid(ld(C->gates + g0, n));
  const hv_f f = hv_sigmoid(ld(C->gates + g0 + H, n));
  const hv_f g = hv_tanh(ld(C->gates + g0 + 2 * H, n));
  const hv_f o = hv_sigmoid(ld(C->gates + g0 + 3 * H, n));
  st(C->act_out + g0, i, n);
  st(C->act_out + g0 + H, f, n);
  st(C->act_out + g0 + 2 * H, g, n);
  st(C->act_out + g0 + 3 * H, o, n);
  const hv_f c1 = hv_fma(f, ld(C->c + s0, n), hv_mul(i, g));
  const hv_f t = hv_tanh(c1);
  st(C->c_next + s0, c1, n);
  st(C->tanh_c_out + s0, t, n);
  st(C->h_next + s0, hv_mul(o, t), n);
}

/* With dc_total = dc' + dh' ⊙ o ⊙ tanh'(c'):
 *   dz_o = dh' ⊙ tanh(c') ⊙ σ'(o),  dz_i = dc_total ⊙ g ⊙ σ'(i),  dz_f = dc_total ⊙ c ⊙ σ'(f),
 *   dz_g = dc_total ⊙ i ⊙ tanh'(g),  dc = dc_total ⊙ f */
static inline void lstm_backward_chunk(const lstm_ctx *C, int64_t b, int64_t j, int n) {
  const int64_t H = C->hidden, g0 = b * 4 * H + j, s0 = b * H + j;
  const hv_f i = ld(C->act + g0, n), f = ld(C->act + g0 + H, n);
  const hv_f g = ld(C->act + g0 + 2 * H, n), o = ld(C->act + g0 + 3 * H, n);
  const hv_f t = ld(C->tanh_c + s0, n), dh = ld(C->dh + s0, n);
  const hv_f dct = hv_fma(hv_mul(dh, o), dtanh(t), ld(C->dc_next + s0, n));
  st(C->dgates + g0, hv_mul(hv_mul(dct, g), dsigmoid(i)), n);
  st(C->dgates + g0 + H, hv_mul(hv_mul(dct, ld(C->c + s0, n)), dsigmoid(f)), n);
  st(C->dgates + g0 + 2 * H, hv_mul(hv_mul(dct, i), dtanh(g)), n);
  st(C->dgates + g0 + 3 * H, hv_mul(hv_mul(dh, t), dsigmoid(o)), n);
  st(C->dc + s0, hv_mul(dct, f), n);
}

static void lstm_forward_range(void *arg, int64_t lo, int64_t hi) {
  const lstm_ctx *C = arg;
  FOR_CHUNKS(lo, hi, C->hidden, lstm_forward_chunk, C)
}

static void lstm_backward_range(void *arg, int64_t lo, int64_t hi) {
  const lstm_ctx *C = arg;
  FOR_CHUNKS(lo, hi, C->hidden, lstm_backward_chunk, C)
}

void heed_lstm_forward(const float *gates, const float *c, int64_t batch, int64_t hidden,
                       float *act, float *c_next, float *tanh_c, float *h_next) {
  lstm_ctx C = {.gates = gates, .c = c, .act_out = act, .c_next = c_next, .tanh_c_out = tanh_c,
                .h_next = h_next, .hidden = hidden};
  const int64_t cells = batch * hidden;
  heed_parallel_for(cells, cells * FWD_COST, lstm_forward_range, &C);
}

void heed_lstm_backward(const float *act, const float *c, const float *tanh_c, const float *dh,
                        const float *dc_next, int64_t batch, int64_t hidden, float *dgates,
                        float *dc) {
  lstm_ctx C = {.act = act, .c = c, .tanh_c = tanh_c, .dh = dh, .dc_next = dc_next,
                .dgates = dgates, .dc = dc, .hidden = hidden};
  const int64_t cells = batch * hidden;
  heed_parallel_for(cells, cells * BWD_COST, lstm_backward_range, &C);
}

/* ---- GRU ----------------------------------------------------------------------------------- */

typedef struct {
  const float *x_proj, *h_proj, *h, *act, *dh_next;
  float *act_out, *h_next, *dx_proj, *dh_proj, *dh;
  int64_t hidden;
} gru_ctx;

/*   r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r ⊙ h_n),  h' = n + z ⊙ (h − n)
 * where x_* come from x·W_ihᵀ + b_ih and h_* from h·W_hhᵀ + b_hh: r gates only the hidden part
 * of n (PyTorch), which is why the two projections arrive separately. */
static inline void gru_forward_chunk(const gru_ctx *C, int64_t b, int64_t j, int n) {
  const int64_t H = C->hidden, g0 = b * 3 * H + j, s0 = b * H + j;
  const float *x = C->x_proj + g0, *p = C->h_proj + g0;
  const hv_f r = hv_sigmoid(hv_add(ld(x, n), ld(p, n)));
  const hv_f z = hv_sigmoid(hv_add(ld(x + H, n), ld(p + H, n)));
  const hv_f nn = hv_tanh(hv_fma(r, ld(p + 2 * H, n), ld(x + 2 * H, n)));
  st(C->act_out + g0, r, n);
  st(C->act_out + g0 + H, z, n);
  st(C->act_out + g0 + 2 * H, nn, n);
  st(C->h_next + s0, hv_fma(z, hv_sub(ld(C->h + s0, n), nn), nn), n);
}

/*   dz_z = dh' ⊙ (h − n) ⊙ σ'(z),  dz_n = dh' ⊙ (1 − z) ⊙ tanh'(n),  dz_r = dz_n ⊙ h_n ⊙ σ'(r)
 *   d(x_proj) = [dz_r | dz_z | dz_n],  d(h_proj) = [dz_r | dz_z | dz_n ⊙ r],  dh = dh' ⊙ z
 * (dh is only the direct path; the caller adds d(h_proj)·W_hh). */
static inline void gru_backward_chunk(const gru_ctx *C, int64_t b, int64_t j, int n) {
  const int64_t H = C->hidden, g0 = b * 3 * H + j, s0 = b * H + j;
  const hv_f r = ld(C->act + g0, n), z = ld(C->act + g0 + H, n);
  const hv_f nn = ld(C->act + g0 + 2 * H, n), d = ld(C->dh_next + s0, n);
  const hv_f dzz = hv_mul(hv_mul(d, hv_sub(ld(C->h + s0, n), nn)), dsigmoid(z));
  const hv_f dzn = hv_mul(hv_mul(d, hv_sub(hv_set1(1.0f), z)), dtanh(nn));
  const hv_f dzr = hv_mul(hv_mul(dzn, ld(C->h_proj + g0 + 2 * H, n)), dsigmoid(r));
  st(C->dx_proj + g0, dzr, n);
  st(C->dx_proj + g0 + H, dzz, n);
  st(C->dx_proj + g0 + 2 * H, dzn, n);
  st(C->dh_proj + g0, dzr, n);
  st(C->dh_proj + g0 + H, dzz, n);
  st(C->dh_proj + g0 + 2 * H, hv_mul(dzn, r), n);
  st(C->dh + s0, hv_mul(d, z), n);
}

static void gru_forward_range(void *arg, int64_t lo, int64_t hi) {
  const gru_ctx *C = arg;
  FOR_CHUNKS(lo, hi, C->hidden, gru_forward_chunk, C)
}

static void gru_backward_range(void *arg, int64_t lo, int64_t hi) {
  const gru_ctx *C = arg;
  FOR_CHUNKS(lo, hi, C->hidden, gru_backward_chunk, C)
}

void heed_gru_forward(const float *x_proj, const float *h_proj, const float *h, int64_t batch,
                      int64_t hidden, float *act, float *h_next) {
  gru_ctx C = {.x_proj = x_proj, .h_proj = h_proj, .h = h, .act_out = act, .h_next = h_next,
               .hidden = hidden};
  const int64_t cells = batch * hidden;
  heed_parallel_for(cells, cells * FWD_COST, gru_forward_range, &C);
}

void heed_gru_backward(const float *act, const float *h_proj, const float *h, const float *dh_next,
                       int64_t batch, int64_t hidden, float *dx_proj, float *dh_proj, float *dh) {
  gru_ctx C = {.act = act, .h_proj = h_proj, .h = h, .dh_next = dh_next, .dx_proj = dx_proj,
               .dh_proj = dh_proj, .dh = dh, .hidden = hidden};
  const int64_t cells = batch * hidden;
  heed_parallel_for(cells, cells * BWD_COST, gru_backward_range, &C);
}
