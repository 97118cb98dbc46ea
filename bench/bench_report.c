/*
 * bench_report.c - the benchmark's tables.
 */
#include "bench_report.h"

#include <math.h>
#include <stdio.h>

/* One line of the PASS/MISS table. */
typedef struct target {
    char name[56];
    double measured, wanted; /* ratios */
    int loss_ok;             /* 1: equal or better loss (or learns, T3) */
    char loss_note[40];
} target;

#define MAX_TARGETS 12
static target targets[MAX_TARGETS];
static size_t n_targets;

void add_target(const char *name, double measured, double wanted, int loss_ok,
                const char *loss_note)
{
    if (n_targets == MAX_TARGETS)
        return;
    target *t = &targets[n_targets++];
    snprintf(t->name, sizeof t->name, "%s", name);
    snprintf(t->loss_note, sizeof t->loss_note, "%s", loss_note);
    t->measured = measured;
    t->wanted = wanted;
    t->loss_ok = loss_ok;
}

static void print_cell(double v)
{
    if (isnan(v))
        printf(" %12s", "-");
    else
        printf(" %12.5e", v);
}

void print_head(void)
{
    printf("  %-30s %11s %7s %7s %6s %12s %12s %8s\n", "engine", "samples/s", "cpu s",
           "wall s", "epochs", "train loss", "test loss", "test acc");
}

void print_score(const char *label, const score *s)
{
    printf("  %-30s %11.0f %7.3f %7.3f %6zu", label, s->rate, s->seconds, s->wall, s->epochs);
    print_cell(s->loss);
    print_cell(s->test_loss);
    if (isnan(s->acc))
        printf(" %8s\n", "-");
    else
        printf(" %7.2f%%\n", 100.0 * s->acc);
}

/* "+0.3%" : mlpd's loss relative to FANN's. */
int loss_verdict(double mine, double theirs, char *note, size_t cap)
{
    snprintf(note, cap, "%+.2f%% vs FANN", 100.0 * (mine - theirs) / theirs);
    return mine <= theirs * LOSS_TOL;
}

void print_targets(void)
{
    printf("\nTargets (loss: mlpd's final training loss at most %.0f%% above FANN's)\n",
           100.0 * (LOSS_TOL - 1.0));
    printf("  %-42s %9s %7s  %-22s %s\n", "target", "measured", "wanted", "loss", "result");
    for (size_t i = 0; i < n_targets; i++) {
        const target *t = &targets[i];
        int pass = t->measured >= t->wanted && t->loss_ok;
        if (t->wanted <= 0.0) /* context, not a target */
            printf("  %-42s %8.2fx %7s  %-22s %s\n", t->name, t->measured, "-", t->loss_note,
                   "info");
        else
            printf("  %-42s %8.2fx %6.2fx  %-22s %s\n", t->name, t->measured, t->wanted,
                   t->loss_note, pass ? "PASS" : "MISS");
    }
}

