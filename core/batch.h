/*
 * batch.h - many rows at once, column by column: the forward path and the
 * mean gradient of a mini-batch as matrix products.
 *
 * Blocks are transposed (one row per unit, one column per sample): layer l
 * of a batch of `rows` samples is a units_l x rows row-major block starting
 * at rows * act_off[l]. Then a small layer is a few axpy loops over
 * contiguous samples (vectorised, no per-sample dot products), an
 * activation runs over one contiguous block, and a big layer is one GEMM:
 * out (units x rows) = W (units x fan_in) in (fan_in x rows).
 */
#ifndef MLPD_CORE_BATCH_H
#define MLPD_CORE_BATCH_H

#include "internal.h"

/* dst (cols x rows) = transpose of src rows [0, rows) with cols columns,
 * row r of src at src + r * stride. */
void batch_transpose_in(double *dst, const double *src, size_t rows, size_t cols, size_t stride);

/* How layer 0 takes a block of rows samples: 1 when as they are (rows x
 * inputs, row-major: a BLAS product with the transpose, so a contiguous
 * run of data rows needs no copy at all), 0 when transposed (inputs x rows)
 * like every other block. */
int batch_rowmajor_input(const mlp_t *net, size_t rows);

/* acts = every layer's outputs for the samples x, laid out as
 * batch_rowmajor_input says. */
void batch_forward(const mlp_t *net, size_t rows, const double *x, double *acts);

/* Sum over the block of the per-sample loss; out and dT are outputs x rows. */
double batch_loss_sum(const mlp_t *net, size_t rows, const double *out, const double *dT);

/* grad (every entry written) = mean over rows of dE/dparams, for samples
 * x (as batch_forward) and targets dT (outputs x rows). Returns 0, or the
 * 1-based layer where a non-finite value appeared. */
size_t batch_gradient(const mlp_t *net, size_t rows, const double *x, const double *dT,
                      double *acts, double *deltas, double *grad);

#endif
