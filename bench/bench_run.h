/*
 * bench_run.h - one timed training run of mlpd or FANN, and scoring, shared
 * by the benchmark programs (core_bench.c, wide_bench.c).
 */
#ifndef MLPD_BENCH_RUN_H
#define MLPD_BENCH_RUN_H

#include "bench_data.h"
#include "bench_fann.h"
#include "bench_report.h"
#include "mlp.h"

/* ni - units[0] - ... network, logsig hidden, linear output, mse, xavier. */
mlp_t *make_net(size_t ni, const size_t *units, size_t n_layers, uint64_t seed);

/* Plain, unshuffled SGD: what FANN's incremental rule does at batch 1. */
mlp_train_opts sgd_opts(size_t epochs, double lr, size_t batch);

/* Train a clone of init; on success *net (freed first) is the trained one. */
int mlpd_once(const mlp_t *init, const bench_set *train, const mlp_train_opts *o,
              double *secs, double *wall, size_t *epochs, mlp_t **net);

/* epochs of FANN incremental training on a copy of init; *ann as above. */
int fann_once(struct fann *init, struct fann_train_data *d, size_t epochs, double *secs,
              double *wall, struct fann **ann);

/* Loss on train, loss and accuracy on test (may be NULL), from one
 * library's own forward pass: mlpd's when net is given, else FANN's. */
int score_outputs(const bench_set *train, const bench_set *test, const mlp_t *net,
                  struct fann *ann, score *sc);

/* "cpu: <model name>" from /proc/cpuinfo. */
void print_cpu(void);
/* The load average with a label: the machine may be shared. */
void print_load(const char *what);

#endif
