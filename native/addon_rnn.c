/*
 * N-API wrappers of the fused recurrent-cell kernels (rnn_step.c): lstmCellForward,
 * lstmCellBackward, gruCellForward, gruCellBackward. Each takes its arrays, then batch and
 * hidden; every array is checked to hold the [B, H] or [B, G·H] it is read or written as.
 */
#include "addon.h"
#include "heed.h"

/* One argument's array and the number of H-wide blocks per row it must hold (1, 3 or 4). */
typedef struct {
  const char *name;
  int blocks;
  float *data;
} rnn_arg;

/* Reads `count` arrays from argv, then batch and hidden, and checks every array's length. */
static bool read_rnn_args(napi_env env, napi_callback_info info, const char *K, rnn_arg *args,
                          int count, int64_t *batch, int64_t *hidden) {
  napi_value argv[16];
  int64_t cells, len;
  if (!heed_get_args(env, info, K, (size_t)count + 2, argv) ||
      !heed_get_int(env, K, argv[count], "batch", 0, HEED_MAX_DIM, batch) ||
      !heed_get_int(env, K, argv[count + 1], "hidden", 0, HEED_MAX_DIM, hidden))
    return false;
  if (__builtin_mul_overflow(*batch, *hidden, &cells) || cells > HEED_MAX_DIM * 4) {
    heed_throw(env, K, 0, "batch·hidden is too large");
    return false;
  }
  for (int a = 0; a < count; a++)
    if (!heed_get_f32(env, K, argv[a], args[a].name, &args[a].data, &len) ||
        !heed_check_fits(env, K, args[a].name, cells * args[a].blocks, len))
      return false;
  return true;
}

napi_value heed_js_lstm_cell_forward(napi_env env, napi_callback_info info) {
  rnn_arg a[] = {{"gates", 4, NULL}, {"c", 1, NULL},     {"act", 4, NULL},
                 {"cNext", 1, NULL}, {"tanhC", 1, NULL}, {"hNext", 1, NULL}};
  int64_t batch, hidden;
  if (!read_rnn_args(env, info, "lstmCellForward", a, 6, &batch, &hidden)) return NULL;
  heed_lstm_forward(a[0].data, a[1].data, batch, hidden, a[2].data, a[3].data, a[4].data,
                    a[5].data);
  return NULL;
}

napi_value heed_js_lstm_cell_backward(napi_env env, napi_callback_info info) {
  rnn_arg a[] = {{"act", 4, NULL},    {"c", 1, NULL},      {"tanhC", 1, NULL},
                 {"dh", 1, NULL},     {"dcNext", 1, NULL}, {"dGates", 4, NULL},
                 {"dc", 1, NULL}};
  int64_t batch, hidden;
  if (!read_rnn_args(env, info, "lstmCellBackward", a, 7, &batch, &hidden)) return NULL;
  heed_lstm_backward(a[0].data, a[1].data, a[2].data, a[3].data, a[4].data, batch, hidden,
                     a[5].data, a[6].data);
  return NULL;
}

napi_value heed_js_gru_cell_forward(napi_env env, napi_callback_info info) {
  rnn_arg a[] = {{"xProj", 3, NULL}, {"hProj", 3, NULL}, {"h", 1, NULL},
                 {"act", 3, NULL},   {"hNext", 1, NULL}};
  int64_t batch, hidden;
  if (!read_rnn_args(env, info, "gruCellForward", a, 5, &batch, &hidden)) return NULL;
  heed_gru_forward(a[0].data, a[1].data, a[2].data, batch, hidden, a[3].data, a[4].data);
  return NULL;
}

napi_value heed_js_gru_cell_backward(napi_env env, napi_callback_info info) {
  rnn_arg a[] = {{"act", 3, NULL},    {"hProj", 3, NULL},  {"h", 1, NULL},
                 {"dhNext", 1, NULL}, {"dxProj", 3, NULL}, {"dhProj", 3, NULL},
                 {"dh", 1, NULL}};
  int64_t batch, hidden;
  if (!read_rnn_args(env, info, "gruCellBackward", a, 7, &batch, &hidden)) return NULL;
  heed_gru_backward(a[0].data, a[1].data, a[2].data, a[3].data, batch, hidden, a[4].data,
                    a[5].data, a[6].data);
  return NULL;
}
