/*
 * The attention kernels (attention_kernels.h) with tiles of about 28 queries by 32 keys: 28 × 32
 * on AVX-512, 30 × 32 on AVX2. On short sequences they waste less of each tile on the causal
 * diagonal and on padding; attention.c uses them up to 256 keys.
 */
#define HEED_ATT_ROWS 28
#define HEED_ATT_BC 32
#define HEED_ATT_NAME(name) name##_tiles28
#include "attention_kernels.h"
