/*
 * batch.h - many rows at once: the forward path and the mean gradient of a
 * mini-batch as matrix products (CBLAS where a layer is big enough to pay
 * for the call, plain loops otherwise).
 *
 * acts and deltas are rows x total_units, row-major: row k of layer l starts
 * at k * total_units + act_off[l].
 */
#ifndef MLPD_CORE_BATCH_H
#define MLPD_CORE_BATCH_H

#include "internal.h"

/* acts = every layer's outputs for rows x (rows x inputs, row-major). */
void batch_forward(const mlp_t *net, size_t rows, const double *x, double *acts);

/* grad (zeroed by the caller) = mean over rows of dE/dparams. Returns 0, or
 * the 1-based layer where a non-finite value appeared. */
size_t batch_gradient(const mlp_t *net, size_t rows, const double *x, const double *y,
                      double *acts, double *deltas, double *grad);

#endif
