/*
 * bench_fann.h - a FANN (double precision) twin of an mlpd network, set up
 * to do the same arithmetic as mlpd's online rule: incremental training,
 * linear error function, logistic hidden units, linear outputs, the same
 * learning rate, no momentum and the same initial weights.
 */
#ifndef MLPD_BENCH_FANN_H
#define MLPD_BENCH_FANN_H

#include "bench_data.h"
#include "mlp.h"

#include <doublefann.h>

/* A FANN net with net's architecture and weights. net must have logistic
 * hidden layers, a linear output layer and the mse loss. learning_rate
 * must be exactly representable as a float (FANN keeps it as one).
 * Returns NULL with a reason on stderr. Free with fann_destroy. */
struct fann *bench_fann_twin(const mlp_t *net, double learning_rate);

/* A copy of a twin (weights included) with the twin's training set-up.
 * NULL on failure. */
struct fann *bench_fann_copy(struct fann *twin);

/* FANN's copy of a data set (it keeps per-row pointers). NULL on failure.
 * Free with fann_destroy_train. */
struct fann_train_data *bench_fann_data(const bench_set *s);

/* Outputs of every row of s (n x no) through fann_run. */
void bench_fann_predict(struct fann *ann, const bench_set *s, double *out);

/* Outputs of every row of s through mlp_forward. Returns an mlp_status. */
int bench_mlp_predict(const mlp_t *net, const bench_set *s, double *out);

/* Largest |mlpd output - FANN output| over the rows of s, or -1 on error. */
double bench_twin_max_diff(const mlp_t *net, struct fann *ann, const bench_set *s);

#endif
