/*
 * The attention kernels (attention_kernels.h) with tiles of about 64 queries by 64 keys: 70 × 64
 * on AVX-512, 66 × 64 on AVX2. A score tile is ~16 KB and one tile step's operands (Qᵢ, Kⱼ, Vⱼ,
 * S, O for head sizes up to 128) stay in L2; measured on Zen 4, 64 to 126 query rows perform
 * within noise for T = 1024. attention.c uses them for long key sequences.
 */
#define HEED_ATT_ROWS 64
#define HEED_ATT_BC 64
#define HEED_ATT_NAME(name) name##_tiles64
#include "attention_kernels.h"
