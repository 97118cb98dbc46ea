/*
 * bench_report.h - the benchmark's tables: one row per engine, and the
 * PASS/MISS list of issue 2's targets.
 */
#ifndef MLPD_BENCH_REPORT_H
#define MLPD_BENCH_REPORT_H

#include <stddef.h>

#define LOSS_TOL 1.01 /* "equal or better loss": at most 1% above FANN's */

/* One engine's measurement. */
typedef struct score {
    double seconds;   /* best of the timed runs, thread CPU time */
    double wall;      /* best of the timed runs, wall-clock time */
    double rate;      /* training samples per second */
    size_t epochs;    /* epochs run */
    double loss;      /* training set, bench_half_mse */
    double test_loss; /* NAN without a test set */
    double acc;       /* test accuracy, NAN without labels */
} score;

/* The column heads of print_score. */
void print_head(void);
/* One engine's row. */
void print_score(const char *label, const score *s);

/* Fills note with mlpd's loss relative to FANN's; returns 1 if mine is
 * equal (within LOSS_TOL) or better. */
int loss_verdict(double mine, double theirs, char *note, size_t cap);

/* Remember a target row: measured and wanted are ratios; wanted <= 0
 * makes an "info" row (context, not a target). loss_ok: the loss
 * condition holds. */
void add_target(const char *name, double measured, double wanted, int loss_ok,
                const char *loss_note);
/* The table of every target added, with PASS/MISS. */
void print_targets(void);

#endif
