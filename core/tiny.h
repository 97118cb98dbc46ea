/*
 * tiny.h - the lecture's online rule for small two-layer networks (the
 * 2-3-1 of the lecture, XOR, small regressions), one epoch per call.
 *
 * On such a network a sample is a chain of a few dozen dependent flops,
 * so what costs is everything around them: loads of weights just stored,
 * loop set-up, one exp call per hidden unit. Here the weights live in
 * local vectors for a whole epoch (in registers for the lecture's shape:
 * up to 3 inputs, 4 hidden units, one linear mse output), four hidden
 * units share one vector (padded with units whose weights stay exactly
 * zero) and so one libmvec exp, and the epoch's loss pass runs four
 * samples to a vector.
 *
 * Same arithmetic as online.c (hidden deltas from the output weights of
 * step n, products and sums in the same order, core_dot's summation order
 * for fan-ins), except that hidden sigmoid/tanh always go through the
 * vector exp/tanh, which online.c uses only from four units up: results
 * equal online.c's within rounding, and bit for bit run to run.
 */
#ifndef MLPD_CORE_TINY_H
#define MLPD_CORE_TINY_H

#include "internal.h"

#define TINY_MAX_IN 16
#define TINY_MAX_HIDDEN 16
#define TINY_MAX_OUT 8

/* 1 if net is small enough for this path (two layers within the bounds). */
int tiny_fits(const mlp_t *net);

/* Online updates on rows order[0, n) of data with learning rate eta,
 * checking *cancel (may be NULL) before each row. *done gets the rows
 * trained. Returns 0, or the 1-based layer where a non-finite value
 * appeared; net then holds the weights from before that row. */
size_t tiny_epoch(mlp_t *net, const mlp_data *data, const size_t *order, size_t n, double eta,
                  const atomic_int *cancel, size_t *done);

/* Sum over rows [first, first + n) of data of the per-sample loss. */
double tiny_loss_sum(const mlp_t *net, const mlp_data *data, size_t first, size_t n);

#endif
