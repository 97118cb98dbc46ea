/*
 * internal.h - private to core/: the network struct, allocation helpers and
 * the activation kernels shared by forward, backward and the trace.
 */
#ifndef MLPD_CORE_INTERNAL_H
#define MLPD_CORE_INTERNAL_H

#include "mlp.h"
#include "vmath.h"

#include <math.h>
#include <stdint.h>

/* Hot loops are compiled twice, for AVX2 and for the baseline, and the
 * loader picks one. With -std=c11 GCC contracts no a*b+c into an FMA, so
 * both clones compute the same bits. (Not under ASan: it does not mix.) */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define CORE_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CORE_CLONES
#endif

/* One allocation holds the struct and its parameters (genann's shape). */
struct mlp {
    mlp_spec spec;
    mlp_allocator alloc;
    size_t n_params;
    size_t max_width;                 /* widest layer, inputs included */
    size_t total_units;               /* sum of units over layers */
    size_t fan_in[MLP_MAX_LAYERS];
    size_t w_off[MLP_MAX_LAYERS];     /* offset of W_l in params */
    size_t b_off[MLP_MAX_LAYERS];     /* offset of b_l in params */
    size_t act_off[MLP_MAX_LAYERS];   /* offset of layer l in a total_units array */
    double *params;
};

/* Allocation through the caller's hooks (NULL: malloc/free). */
void *core_alloc(const mlp_allocator *a, size_t size);
void core_release(const mlp_allocator *a, void *p);

/* a * b into *out; 0 on overflow. */
static inline int core_mul(size_t a, size_t b, size_t *out)
{
    if (b != 0 && a > SIZE_MAX / b)
        return 0;
    *out = a * b;
    return 1;
}

static inline int core_add(size_t a, size_t b, size_t *out)
{
    if (a > SIZE_MAX - b)
        return 0;
    *out = a + b;
    return 1;
}

/* Dot product with four partial sums: the compiler can keep them in
 * registers and the order is fixed, so results stay bit-reproducible. */
static inline double core_dot(const double *restrict a, const double *restrict b, size_t n)
{
    /* Small fan-ins (the lecture's 2 and 3) unrolled: loop set-up would
     * cost more than the arithmetic. */
    switch (n) {
    case 1:
        return a[0] * b[0];
    case 2:
        return a[0] * b[0] + a[1] * b[1];
    case 3:
        return (a[0] * b[0] + a[1] * b[1]) + a[2] * b[2];
    default:
        break;
    }
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; i++)
        s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

/* Apply f in place over n values (v -> y = f(v)). */
static inline void act_apply(int act, double *v, size_t n)
{
    switch (act) {
    case MLP_ACT_SIGMOID:
        core_sigmoid_block(v, n);
        break;
    case MLP_ACT_TANH:
        core_tanh_block(v, n);
        break;
    case MLP_ACT_RELU:
        /* NaN stays NaN so that divergence is never hidden. */
        for (size_t i = 0; i < n; i++)
            v[i] = v[i] < 0.0 ? 0.0 : v[i];
        break;
    case MLP_ACT_SOFTMAX: {
        double m = v[0], s = 0.0;
        for (size_t i = 1; i < n; i++)
            m = v[i] > m ? v[i] : m;
        for (size_t i = 0; i < n; i++) {
            v[i] = exp(v[i] - m);
            s += v[i];
        }
        for (size_t i = 0; i < n; i++)
            v[i] /= s;
        break;
    }
    default: /* linear */
        break;
    }
}

/* f'(v) from y = f(v) (every supported activation allows it; softmax gives
 * the diagonal of its Jacobian, used only for display). */
static inline double act_fprime(int act, double y)
{
    switch (act) {
    case MLP_ACT_SIGMOID:
    case MLP_ACT_SOFTMAX:
        return y * (1.0 - y);
    case MLP_ACT_TANH:
        return 1.0 - y * y;
    case MLP_ACT_RELU:
        return y > 0.0 ? 1.0 : 0.0;
    default:
        return 1.0;
    }
}

/* Loss of one sample from outputs y and targets d. */
double core_sample_loss(int loss, int out_act, const double *y, const double *d, size_t n);

/* Output-layer local gradient delta = -dE/dv into delta. */
void core_output_delta(int loss, int out_act, const double *y, const double *d,
                       double *delta, size_t n);

/* Forward one sample, keeping every layer's outputs in acts (total_units). */
void core_forward_keep(const mlp_t *net, const double *x, double *acts);

/* Backpropagate deltas given acts (from core_forward_keep): fills deltas
 * (total_units) using the current weights. */
void core_backward_deltas(const mlp_t *net, const double *acts, const double *d,
                          double *deltas);

/* 1-based index of the first layer with a non-finite value in acts, 0 if none. */
size_t core_first_nonfinite_layer(const mlp_t *net, const double *acts);
/* 1-based index of the first layer with a non-finite parameter, 0 if none. */
size_t core_first_nonfinite_param_layer(const mlp_t *net);

#endif
