/*
 * Products with a weight packed once: y [rows, n] = beta·y + x [rows, k] · Wᵀ for a weight
 * W [n, k] that meets a small x in many products in a row, as an RNN's W_hh meets the batch's
 * state once per time step.
 *
 * The product is computed transposed, yᵀ = W·xᵀ, with W packed once into the micro-kernel's
 * A layout (MR-row panels) and only the small xᵀ packed per call: W's n rows fill MR-row panels
 * with at most one partly empty panel, and a batch of 32 rows is one NR = 32 column panel; the
 * tile is stored transposed into y. A general GEMM, given x as A, repacks the whole weight as B
 * at every call and leaves MR-row panels of a 32-row A partly empty. Measured on one Zen 4 core
 * (rows 32: n 768, k 256 and n 256, k 768, the GRU step and its backward): 134–140 µs per
 * product against OpenBLAS's 150–184 (BENCHMARKS.md).
 *
 * Packed layout: k is cut into KC-wide slices; slice pc (the one starting at column pc) holds
 * every row of W in MR-row micro-panels, padded_rows(n)·kc floats from padded_rows(n)·pc.
 */
#include "gemm_blocked.h"
#include "gemm_kernel.h"
#include "heed.h"

static int64_t min64(int64_t x, int64_t y) { return x < y ? x : y; }
static int64_t ceil_div(int64_t x, int64_t y) { return (x + y - 1) / y; }
static int64_t padded_rows(int64_t m) { return ceil_div(m, HEED_MR) * HEED_MR; }
static int64_t padded_cols(int64_t n) { return ceil_div(n, HEED_NR) * HEED_NR; }

int64_t heed_packed_weight_floats(int64_t n, int64_t k) { return padded_rows(n) * k; }

void heed_pack_weight(const float *w, int64_t n, int64_t k, int trans, float *packed) {
  /* op(W)(i, p): W stored [n, k] (rs k, cs 1), or [k, n] when trans (rs 1, cs n). */
  const int64_t rs = trans ? 1 : k, cs = trans ? n : 1, np = padded_rows(n);
  for (int64_t pc = 0; pc < k; pc += HEED_KC)
    heed_pack_a(n, min64(HEED_KC, k - pc), w + pc * cs, rs, cs, packed + np * pc);
}

typedef struct {
  const float *packed, *xp; /* the weight's panels; xᵀ packed whole, slice pc at padded_cols(rows)·pc */
  float *y;
  int64_t rows, n, k, panels;
  float beta;
  int pieces;
} packed_job;

/* W's row panels [r0, r1): y[:, those columns] for every row of x. */
static void packed_panels(const packed_job *J, int64_t r0, int64_t r1) {
  const int64_t np = padded_rows(J->n), xpp = padded_cols(J->rows);
  _Alignas(64) float tile[HEED_MR * HEED_NR];
  for (int64_t pc = 0; pc < J->k; pc += HEED_KC) {
    const int64_t kc = min64(HEED_KC, J->k - pc);
    /* Later k slices add onto what the first one wrote. */
    const float beta = pc == 0 ? J->beta : 1.0f;
    for (int64_t r = r0; r < r1; r++) {
      const int64_t i = r * HEED_MR; /* a column block of y */
      const int mr = (int)min64(HEED_MR, J->n - i);
      const float *ap = J->packed + np * pc + i * kc;
      for (int64_t j = 0; j < J->rows; j += HEED_NR) {
        const int nr = (int)min64(HEED_NR, J->rows - j);
        heed_gemm_micro(kc, ap, J->xp + xpp * pc + j * kc, tile, HEED_NR, 1.0f, 0.0f, mr, nr);
        /* tile[ii][jj] is y[j + jj, i + ii]. */
        for (int jj = 0; jj < nr; jj++) {
          float *yr = J->y + (j + jj) * J->n + i;
          if (beta == 0.0f)
            for (int ii = 0; ii < mr; ii++) yr[ii] = tile[ii * HEED_NR + jj];
          else
            for (int ii = 0; ii < mr; ii++) yr[ii] = tile[ii * HEED_NR + jj] + beta * yr[ii];
        }
      }
    }
  }
}

static void packed_piece(void *ctx, int64_t t, int slot) {
  (void)slot;
  const packed_job *J = ctx;
  packed_panels(J, J->panels * t / J->pieces, J->panels * (t + 1) / J->pieces);
}

int heed_gemm_packed_weight(const float *x, int64_t rows, const float *packed, int64_t n,
                            int64_t k, float *y, float beta) {
  if (rows <= 0 || n <= 0) return HEED_OK;
  if (k <= 0) {
    /* An empty sum: y = beta·y (beta 0 clears without reading). */
    for (int64_t i = 0; i < rows * n; i++) y[i] = beta == 0.0f ? 0.0f : beta * y[i];
    return HEED_OK;
  }
  const int64_t xpp = padded_cols(rows);
  float *xp = heed_gemm_workspace((size_t)(xpp * k)); /* xᵀ packed, read by every piece */
  if (xp == NULL) return HEED_ENOMEM;
  /* xᵀ as B: element (p, j) is x[j, p]. */
  for (int64_t pc = 0; pc < k; pc += HEED_KC)
    heed_pack_b(min64(HEED_KC, k - pc), rows, x + pc, 1, k, xp + xpp * pc);
  const int64_t panels = ceil_div(n, HEED_MR);
  int nt = rows * n * k >= HEED_GEMM_PAR_SCALE * heed_par_threshold() ? heed_threads() : 1;
  if (nt > panels) nt = (int)panels;
  packed_job J = {packed, xp, y, rows, n, k, panels, beta, nt};
  if (nt <= 1)
    packed_panels(&J, 0, panels);
  else
    heed_pool_run(nt, nt, packed_piece, &J);
  return HEED_OK;
}
