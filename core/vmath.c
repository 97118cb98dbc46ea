/*
 * vmath.c - vectorised activations. Built with -fopenmp-simd,
 * -fno-math-errno and __FAST_MATH__ defined (only so that glibc's headers
 * declare the SIMD variants of exp and tanh; no unsafe optimisation is
 * enabled), so the loops below call libmvec four (AVX2) or two (SSE2) lanes
 * at a time. Tails shorter than four are padded so that small layers, such
 * as the lecture's three hidden units, take one vector call too.
 */
#include "vmath.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define VMATH_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define VMATH_CLONES
#endif

VMATH_CLONES static void sigmoid_simd(double *restrict v, size_t n)
{
    VMATH_SIMD
    for (size_t i = 0; i < n; i++)
        v[i] = 1.0 / (1.0 + exp(-v[i]));
}

VMATH_CLONES static void tanh_simd(double *restrict v, size_t n)
{
    VMATH_SIMD
    for (size_t i = 0; i < n; i++)
        v[i] = tanh(v[i]);
}

/* Exactly four lanes: one vector call, no loop set-up. */
VMATH_CLONES static void sigmoid_4(double *restrict v)
{
    VMATH_SIMD
    for (size_t i = 0; i < 4; i++)
        v[i] = 1.0 / (1.0 + exp(-v[i]));
}

VMATH_CLONES static void tanh_4(double *restrict v)
{
    VMATH_SIMD
    for (size_t i = 0; i < 4; i++)
        v[i] = tanh(v[i]);
}

/* Whole groups of four in place, the tail through a padded copy. */
static inline void blockwise(double *v, size_t n, void (*f)(double *restrict, size_t),
                             void (*f4)(double *restrict))
{
    size_t whole = n & ~(size_t)3;
    if (whole)
        f(v, whole);
    if (whole < n) {
        double t[4] = {0.0, 0.0, 0.0, 0.0};
        for (size_t i = whole; i < n; i++)
            t[i - whole] = v[i];
        f4(t);
        for (size_t i = whole; i < n; i++)
            v[i] = t[i - whole];
    }
}

void core_sigmoid_block(double *v, size_t n) { blockwise(v, n, sigmoid_simd, sigmoid_4); }
void core_tanh_block(double *v, size_t n) { blockwise(v, n, tanh_simd, tanh_4); }
