/*
 * Shared declarations of the heed native kernels. Kernels take raw float32 pointers that the
 * N-API glue (addon.c) has already validated and offset; they never allocate their outputs.
 */
#ifndef HEED_H
#define HEED_H

#include <stddef.h>
#include <stdint.h>

/* Status codes kernels hand back to the glue, which turns failures into JS errors. */
enum { HEED_OK = 0, HEED_ENOMEM = 1 };

/* The largest tensor rank the strided walkers accept (NumPy's own limit is 32). */
#define HEED_MAX_DIMS 32

/* Elementwise work (in elements) below which splitting across threads costs more than it saves
 * (heed_par_threshold(): this default, or HEED_PAR_THRESHOLD from the environment at load).
 * Handing a job to an awake pool worker costs about a microsecond (pool.c), and the caller never
 * waits for a sleeping one to wake, so work of tens of microseconds is worth splitting. Measured
 * on 2 vCPUs, training steps of the benchmarked GRU seq2seq and GPT (2 threads, four interleaved
 * rounds of 2^14, 2^15, 2^16 and 2^18): 2^16 had the lowest or near-lowest median step in each
 * (GPT 38–42 ms, seq2seq 108–114 ms, against 37–58 and 122–132 ms at 2^18). The tests lower it
 * so that small inputs exercise the threaded paths. */
#define HEED_PAR_THRESHOLD_DEFAULT ((int64_t)1 << 16)
/* A GEMM is split across threads from HEED_GEMM_PAR_SCALE × heed_par_threshold() multiply-adds. */
#define HEED_GEMM_PAR_SCALE 32
int64_t heed_par_threshold(void);

/* GCC/Clang hint that a loop has no loop-carried dependence: outputs may alias inputs only at
 * the same index (in-place ops), which keeps vectorisation legal without runtime alias checks. */
#if defined(__clang__)
#define HEED_IVDEP _Pragma("clang loop vectorize(assume_safety)")
#elif defined(__GNUC__)
#define HEED_IVDEP _Pragma("GCC ivdep")
#else
#define HEED_IVDEP
#endif

/* ---- config.c: thread count, GEMM selection, build facts ---- */
void heed_config_init(void);
int heed_threads(void);
void heed_set_threads(int n);
int heed_openblas_compiled(void);
int heed_gemm_uses_openblas(void);
void heed_set_gemm_openblas(int on);
const char *heed_simd_name(void);

/* ---- pool.c: the thread pool ---- */
/* One task of a job: `slot` is the running thread's place in the job, in [0, threads). */
typedef void (*heed_task_fn)(void *ctx, int64_t task, int slot);
/* Runs fn(ctx, i, slot) for every i in [0, tasks) on up to `threads` threads (the caller, slot 0,
 * and pool workers), claimed dynamically; returns when all have run. Tasks must not wait for
 * each other: any of them may run on the caller after the others. */
void heed_pool_run(int threads, int64_t tasks, heed_task_fn fn, void *ctx);

/* ---- parallel.c: splitting a range of work across the thread pool ---- */
typedef void (*heed_range_fn)(void *ctx, int64_t lo, int64_t hi);
/* Threads worth using for `work` units of elementwise-sized work. */
int heed_threads_for(int64_t work);
/* Calls fn(ctx, lo, hi) over contiguous pieces of [0, n); pieces run in parallel when `work`
 * (roughly elements touched times a per-element cost) is large enough. */
void heed_parallel_for(int64_t n, int64_t work, heed_range_fn fn, void *ctx);

/* ---- additive.c: fused additive (Bahdanau) attention scores ---- */
/* scores [B, Tq, Tk] = Σₐ v[a]·tanh(q[b, i, a] + k[b, j, a]); q [B, Tq, A], k [B, Tk, A]. */
void heed_additive_scores(const float *q, const float *k, const float *v, int64_t batch,
                          int64_t tq, int64_t tk, int64_t dim, float *scores);
/* Adds the gradients of heed_additive_scores for g = ∂L/∂scores into dq, dk and dv. */
int heed_additive_scores_backward(const float *q, const float *k, const float *v, const float *g,
                                  int64_t batch, int64_t tq, int64_t tk, int64_t dim, float *dq,
                                  float *dk, float *dv);

/* ---- gemm_packed_weight.c: products with a weight packed once ---- */
/* Floats of op(W) [n, k] packed by heed_pack_weight. */
int64_t heed_packed_weight_floats(int64_t n, int64_t k);
/* Packs op(W) [n, k]: W stored [n, k], or [k, n] when trans. */
void heed_pack_weight(const float *w, int64_t n, int64_t k, int trans, float *packed);
/* y [rows, n] = beta·y + x [rows, k]·op(W)ᵀ; returns HEED_OK or HEED_ENOMEM. */
int heed_gemm_packed_weight(const float *x, int64_t rows, const float *packed, int64_t n,
                            int64_t k, float *y, float beta);

/* ---- gemm.c ---- */
typedef struct {
  int64_t batch, m, n, k;
  int trans_a, trans_b;
  float alpha, beta;
  const float *a;
  int64_t stride_a;
  const float *b;
  int64_t stride_b;
  float *c;
  int64_t stride_c;
} heed_gemm_args;
int heed_gemm(const heed_gemm_args *g);

/* ---- binary.c / where.c ---- */
enum { HEED_ADD, HEED_SUB, HEED_MUL, HEED_DIV, HEED_POW, HEED_MAXIMUM, HEED_MINIMUM, HEED_BINARY_OPS };
void heed_binary(int op, int ndim, const int64_t *out_shape, float *out, const float *a,
                 const int64_t *a_shape, const float *b, const int64_t *b_shape);
void heed_where(int ndim, const int64_t *out_shape, float *out, const uint8_t *cond,
                const int64_t *cond_shape, const float *a, const int64_t *a_shape, const float *b,
                const int64_t *b_shape);

/* ---- unary.c ---- */
enum {
  HEED_NEG, HEED_EXP, HEED_LOG, HEED_TANH, HEED_SIGMOID, HEED_RELU, HEED_GELU, HEED_SQRT,
  HEED_ABS, HEED_SQUARE, HEED_UNARY_OPS
};
void heed_unary(int op, const float *x, float *out, int64_t n);
void heed_unary_backward(int op, const float *x, const float *y, const float *g, float *out,
                         int64_t n);

/* ---- reduce.c ---- */
enum { HEED_SUM, HEED_MAX, HEED_REDUCE_OPS };
void heed_reduce(int op, const float *x, int64_t outer, int64_t size, int64_t inner, float *out,
                 int32_t *argmax);

/* ---- softmax.c ---- */
void heed_softmax(const float *x, int64_t rows, int64_t cols, float *out, int log);
void heed_softmax_backward(const float *y, const float *g, int64_t rows, int64_t cols, float *out,
                           int log);

/* ---- layer_norm.c: fused layer normalisation (see Backend.layerNormForward/Backward) ---- */
void heed_layer_norm_forward(const float *x, int64_t rows, int64_t cols, const float *weight,
                             const float *bias, float eps, float *y, float *mean, float *rstd);
/* HEED_ENOMEM when its [rows] scratch cannot be allocated. */
int heed_layer_norm_backward(const float *x, const float *g, const float *mean, const float *rstd,
                             int64_t rows, int64_t cols, const float *weight, float *dx,
                             float *dweight, float *dbias);

/* ---- copy.c ---- */
void heed_copy(int ndim, const int64_t *shape, const float *src, const int64_t *src_strides,
               float *dst, const int64_t *dst_strides);
void heed_gather_rows(const float *x, int64_t cols, const int32_t *index, int64_t n, float *out);
void heed_scatter_add_rows(const float *g, int64_t cols, const int32_t *index, int64_t n,
                           float *out);
void heed_fill(float *out, int64_t n, float value);

/* ---- peak.c ---- */
/* Measured fp32 FMA throughput of `threads` threads, in GFLOPS. */
double heed_peak_gflops(int threads, float *sink);

/* ---- rnn_step.c: the fused pointwise part of an LSTM / GRU step (see backend.ts) ---- */
void heed_lstm_forward(const float *gates, const float *c, int64_t batch, int64_t hidden,
                       float *act, float *c_next, float *tanh_c, float *h_next);
void heed_lstm_backward(const float *act, const float *c, const float *tanh_c, const float *dh,
                        const float *dc_next, int64_t batch, int64_t hidden, float *dgates,
                        float *dc);
void heed_gru_forward(const float *x_proj, const float *h_proj, const float *h, int64_t batch,
                      int64_t hidden, float *act, float *h_next);
void heed_gru_backward(const float *act, const float *h_proj, const float *h, const float *dh_next,
                       int64_t batch, int64_t hidden, float *dx_proj, float *dh_proj, float *dh);

/* ---- optim.c: optimizer updates and Σ|x|^p (see Backend.sgdStep/adamStep/normPow) ---- */
typedef struct {
  double lr, momentum, dampening, weight_decay;
  double sign; /* −1 when maximizing */
  int nesterov, first_step;
} heed_sgd_params;
typedef struct {
  double step, lr, beta1, beta2, eps, weight_decay;
  double sign; /* −1 when maximizing */
  int decoupled;
} heed_adam_params;
void heed_sgd_step(float *p, const float *g, float *buf, int64_t n, const heed_sgd_params *h);
void heed_adam_step(float *p, const float *g, float *m, float *v, float *vmax, int64_t n,
                    const heed_adam_params *h);
double heed_norm_pow(const float *x, int64_t n, double p);

#endif
