# The heed native backend (N-API addon, plain C11). Machine-specific flags come from probes in
# scripts/build-native.mjs: -march=native when the compiler accepts it, -pthread for the thread
# pool, and -DHEED_HAVE_OPENBLAS plus -lopenblas only when cblas.h and libopenblas are found.
# Without them the addon still builds, single-threaded and/or with the built-in GEMM only.
{
  "targets": [
    {
      "target_name": "heed_native",
      "sources": [
        "native/addon.c",
        "native/addon_elementwise.c",
        "native/addon_rows.c",
        "native/addon_attention.c",
        "native/addon_additive.c",
        "native/additive.c",
        "native/attention.c",
        "native/attention_tiles28.c",
        "native/attention_tiles64.c",
        "native/attention_short.c",
        "native/attention_pack.c",
        "native/napi_args.c",
        "native/config.c",
        "native/parallel.c",
        "native/pool.c",
        "native/walk.c",
        "native/gemm.c",
        "native/gemm_blocked.c",
        "native/gemm_packed_weight.c",
        "native/gemm_pack.c",
        "native/gemm_kernel_avx512.c",
        "native/gemm_kernel_avx2.c",
        "native/gemm_kernel_scalar.c",
        "native/binary.c",
        "native/where.c",
        "native/unary.c",
        "native/reduce.c",
        "native/softmax.c",
        "native/layer_norm.c",
        "native/copy.c",
        "native/peak.c",
        "native/addon_rnn.c",
        "native/rnn_step.c",
        "native/addon_optim.c",
        "native/optim.c"
      ],
      "cflags": [
        "-std=c11",
        "-O3",
        "-Wall",
        "-Wextra",
        "-Wno-unused-parameter",
        "-Wno-unknown-pragmas",
        "<!@(node scripts/build-native.mjs --probe cflags)"
      ],
      "ldflags": ["<!@(node scripts/build-native.mjs --probe ldflags)"],
      "libraries": ["-lm", "<!@(node scripts/build-native.mjs --probe libs)"],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-std=c11", "-O3", "<!@(node scripts/build-native.mjs --probe cflags)"],
        "OTHER_LDFLAGS": ["<!@(node scripts/build-native.mjs --probe ldflags)"]
      }
    }
  ]
}
