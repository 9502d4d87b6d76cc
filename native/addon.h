/* N-API callbacks of the addon, registered in addon.c. */
#ifndef HEED_ADDON_H
#define HEED_ADDON_H

#include "napi_args.h"

/* Largest accepted dimension: the product of two fits int64 with room to spare, so size checks
 * like m·k can be computed before comparing against an array length. */
#define HEED_MAX_DIM ((int64_t)INT32_MAX)
/* Largest accepted offset or |stride|; products with a dimension are overflow-checked. */
#define HEED_MAX_EXTENT ((int64_t)1 << 40)

napi_value heed_js_binary(napi_env env, napi_callback_info info);
napi_value heed_js_where(napi_env env, napi_callback_info info);
napi_value heed_js_unary(napi_env env, napi_callback_info info);
napi_value heed_js_unary_backward(napi_env env, napi_callback_info info);
napi_value heed_js_fill(napi_env env, napi_callback_info info);
napi_value heed_js_reduce(napi_env env, napi_callback_info info);
napi_value heed_js_softmax(napi_env env, napi_callback_info info);
napi_value heed_js_softmax_backward(napi_env env, napi_callback_info info);
napi_value heed_js_layer_norm_forward(napi_env env, napi_callback_info info);
napi_value heed_js_layer_norm_backward(napi_env env, napi_callback_info info);
napi_value heed_js_copy(napi_env env, napi_callback_info info);
napi_value heed_js_gather_rows(napi_env env, napi_callback_info info);
napi_value heed_js_scatter_add_rows(napi_env env, napi_callback_info info);
/* addon_rnn.c */
napi_value heed_js_lstm_cell_forward(napi_env env, napi_callback_info info);
napi_value heed_js_lstm_cell_backward(napi_env env, napi_callback_info info);
napi_value heed_js_gru_cell_forward(napi_env env, napi_callback_info info);
napi_value heed_js_gru_cell_backward(napi_env env, napi_callback_info info);
/* addon_additive.c */
napi_value heed_js_additive_scores(napi_env env, napi_callback_info info);
napi_value heed_js_additive_scores_backward(napi_env env, napi_callback_info info);
/* addon_optim.c */
napi_value heed_js_sgd_step(napi_env env, napi_callback_info info);
napi_value heed_js_adam_step(napi_env env, napi_callback_info info);
napi_value heed_js_norm_pow(napi_env env, napi_callback_info info);

#endif
