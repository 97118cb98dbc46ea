/*
 * vmath.h - sigmoid and tanh over blocks of values with glibc's vector math
 * (libmvec: exp and tanh within 4 ulp, computed, not tabled). The AVX2 or
 * SSE2 variant is picked when the program loads.
 */
#ifndef MLPD_CORE_VMATH_H
#define MLPD_CORE_VMATH_H

#include <stddef.h>

void core_sigmoid_block(double *v, size_t n);
void core_tanh_block(double *v, size_t n);

#endif
