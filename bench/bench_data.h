/*
 * bench_data.h - data sets, timing and scoring for the core benchmark.
 *
 * A bench_set owns its rows; every function that fills one leaves it
 * empty (all NULL) on failure, so bench_set_free is always safe.
 */
#ifndef MLPD_BENCH_DATA_H
#define MLPD_BENCH_DATA_H

#include <stddef.h>
#include <stdint.h>

typedef struct bench_set {
    size_t n, ni, no;
    double *x;  /* n x ni, row-major */
    double *y;  /* n x no, row-major (targets) */
    int *label; /* n class labels, or NULL for regression sets */
} bench_set;

/* Accepts a zeroed or freed set. */
void bench_set_free(bench_set *s);

/* y = sin(x1) cos(x2) on an n1 x n2 grid over [-2, 2]^2, x1 the outer loop.
 * Returns 0, or -1 when out of memory. */
int bench_grid_sincos(bench_set *s, size_t n1, size_t n2);

/* The UCI optical digits: lines of 64 integers 0..16 then the label 0..9,
 * read through `gzip -dc`. Inputs scaled to [0, 1], one-hot targets.
 * Returns 0, or -1 with a reason on stderr (missing file, malformed line). */
int bench_load_digits(const char *path_gz, bench_set *s);

/* A seeded permutation of all's rows; the first n_train go to train, the
 * rest to test. Returns 0 or -1 (out of memory, n_train out of range). */
int bench_split(const bench_set *all, uint64_t seed, size_t n_train, bench_set *train,
                bench_set *test);

/* n rows of U[0, 1) inputs; targets are the outputs of a random teacher
 * net (ni - nh sigmoid - no linear, xavier, seeded). Returns 0 or -1. */
int bench_teacher_set(bench_set *s, size_t n, size_t ni, size_t nh, size_t no, uint64_t seed);

/* Seconds from CLOCK_MONOTONIC. */
double bench_now(void);

/* CPU seconds of the calling thread: what the timed work cost, whatever
 * else the (shared) machine runs meanwhile. */
double bench_cpu_now(void);

/* Mean over rows of 1/2 sum_j (d_j - y_j)^2: the loss both libraries are
 * scored by, from outputs each computed with its own forward pass. */
double bench_half_mse(const double *y, const double *d, size_t n, size_t no);

/* Fraction of rows whose largest output is at the label. */
double bench_accuracy(const double *y, const int *label, size_t n, size_t no);

#endif
