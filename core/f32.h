/*
 * f32.h - private to core/: single-precision twins of the mini-batch
 * kernels (batch32.c), the float network (net32.c) and the float32
 * trainer (train32.c) that mlp_train uses for MLP_DTYPE_FLOAT32. The
 * double paths never call into these files.
 *
 * Blocks are laid out as in batch.h (one row per unit, one column per
 * sample; the first layer may read data rows in place).
 */
#ifndef MLPD_CORE_F32_H
#define MLPD_CORE_F32_H

#include "internal.h"

/* Subnormal floats (below 1.2e-38, from saturated units' deltas) slow
 * every product they enter by microcode assists: measured on T3, float32
 * training took 0.31 s with them and 0.16 s flushed. The float kernels run
 * with the CPU flushing them to zero (MXCSR FTZ and DAZ, as GPU frameworks
 * do), set on entry and restored on exit of each call: the calling
 * thread's state is as it was, and double code never sees the mode. */
#if defined(__x86_64__) || defined(__SSE2__)
#include <xmmintrin.h>
static inline unsigned f32_flush_enter(void)
{
    unsigned old = _mm_getcsr();
    _mm_setcsr(old | 0x8040u); /* FTZ (bit 15) | DAZ (bit 6) */
    return old;
}
static inline void f32_flush_leave(unsigned old) { _mm_setcsr(old); }
#else
static inline unsigned f32_flush_enter(void) { return 0; }
static inline void f32_flush_leave(unsigned old) { (void)old; }
#endif

struct mlp_f32 {
    struct mlp shape;     /* sizes and offsets of the double network (shape.params NULL) */
    mlp_allocator alloc;
    float *params;        /* the layout of mlp_params, in float */
};

/* The float network over caller-owned params (no allocation). */
void f32_view(struct mlp_f32 *f, const mlp_t *net, float *params);

/* Vectorised activations in float (vmath32.c). */
void core_sigmoid_block_f32(float *v, size_t n);
void core_tanh_block_f32(float *v, size_t n);

/* As batch_rowmajor_input, for the float kernels. */
int batch32_rowmajor_input(const struct mlp_f32 *f, size_t rows);
void batch32_transpose_in(float *dst, const double *src, size_t rows, size_t cols, size_t stride);
void batch32_forward(const struct mlp_f32 *f, size_t rows, const float *x, float *acts);
/* Sum of the per-sample losses over a block, accumulated in double. */
double batch32_loss_sum(const struct mlp_f32 *f, size_t rows, const float *out, const float *dT);
/* Mean gradient of the block into grad; 0 or the 1-based layer of the
 * first non-finite value. */
size_t batch32_gradient(const struct mlp_f32 *f, size_t rows, const float *x, const float *dT,
                        float *acts, float *deltas, float *grad);

/* The online rule on float weights and data (online32.c): rows order[0, n)
 * of x, y, checking *cancel before each; *done gets the rows trained;
 * returns 0 or the 1-based layer where a non-finite value appeared. */
size_t online32_epoch(struct mlp_f32 *f, const float *x, const float *y, const size_t *order,
                      size_t n, double eta, const atomic_int *cancel, float *acts,
                      float *deltas, size_t *done);

/* The float32 trainer: float copies of the weights, the optimizer state
 * and the data, made once per mlp_train. */
typedef struct train32 train32;
mlp_status train32_new(const mlp_t *net, const mlp_data *data, size_t rows_cap,
                       const mlp_train_opts *o, const mlp_allocator *alloc, train32 **out);
void train32_free(train32 *t, const mlp_allocator *alloc);
/* One optimizer step on the rows idx[0, count); 0 or the failing layer. */
size_t train32_batch(train32 *t, const size_t *idx, size_t count);
/* An epoch of the online rule (plain SGD, batch 1) on rows order[0, n). */
size_t train32_online_epoch(train32 *t, const size_t *order, size_t n, double eta,
                            const atomic_int *cancel, size_t *done);
/* Sum of the sample losses over data rows [first, first + n). */
double train32_loss_sum(train32 *t, size_t first, size_t n);
/* net's parameters = the float ones, widened (exact). */
void train32_store(const train32 *t, mlp_t *net);
/* The float parameters = net's, rounded (after restoring best weights). */
void train32_load(train32 *t, const mlp_t *net);
/* The float optimizer state, for checkpoints (train_state.c): the moment
 * arrays m and v (n_params floats each, NULL when the optimizer has
 * none, as train.c's trainer_moments counts them) and adam's step count. */
void train32_moments(train32 *t, float **m, float **v, uint64_t **adam_t);

#endif
