/*
 * vmath.h - sigmoid and tanh over blocks of values with glibc's vector math
 * (libmvec: exp and tanh within 4 ulp, computed, not tabled). The AVX2 or
 * SSE2 variant is picked when the program loads.
 */
#ifndef MLPD_CORE_VMATH_H
#define MLPD_CORE_VMATH_H

#include <stddef.h>

/* "omp simd" on a loop of libmvec calls (exp, tanh), for gcc only. clang
 * vectorises such loops only in some builds (its -O3 exp loops but not
 * tanh, nothing under the sanitizers' -O1) and warns where it cannot
 * (-Wpass-failed, an error under -Werror): for clang the loops stay plain
 * and it vectorises what it can on its own. */
#if defined(__clang__)
#define VMATH_SIMD
#else
#define VMATH_SIMD _Pragma("omp simd")
#endif

void core_sigmoid_block(double *v, size_t n);
void core_tanh_block(double *v, size_t n);

#endif
