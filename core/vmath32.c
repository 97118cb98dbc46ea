/*
 * vmath32.c - sigmoid and tanh over float blocks with libmvec's float
 * variants (expf, tanhf; built with the flags of vmath.c), eight lanes
 * (AVX2) or sixteen (AVX-512) at a time.
 */
#include "f32.h"
#include "vmath.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define VMATH32_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VMATH32_CLONES
#endif

VMATH32_CLONES void core_sigmoid_block_f32(float *restrict v, size_t n)
{
VMATH_SIMD
    for (size_t i = 0; i < n; i++)
        v[i] = 1.0f / (1.0f + expf(-v[i]));
}

VMATH32_CLONES void core_tanh_block_f32(float *restrict v, size_t n)
{
VMATH_SIMD
    for (size_t i = 0; i < n; i++)
        v[i] = tanhf(v[i]);
}
