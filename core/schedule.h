/*
 * schedule.h - learning-rate schedules: the rate of each epoch from the
 * initial rate eta0, the epoch, and (for reduce_on_plateau) the losses so
 * far. Pure functions over a small caller-owned state; mlp_train uses them
 * through mlp_train_opts.schedule, and a caller may run them alone.
 *
 * Rates by method, for 1-based epoch e of E epochs, n training rows:
 *   constant           eta0 (bit for bit: the rate is eta0 itself)
 *   step               eta0 * pow(gamma, floor((e - 1) / step_size))
 *                      (PyTorch's StepLR)
 *   invscaling         scikit-learn's SGD "invscaling": the first epoch
 *                      trains with eta0, epoch e with
 *                      eta0 / ((e - 1) * n + 1)^power_t; (e - 1) * n is
 *                      sklearn's t_, the samples seen before the epoch
 *   cosine             eta_min + (eta0 - eta_min) * (1 + cos(pi (e - 1) / E)) / 2
 *                      (PyTorch's CosineAnnealingLR with T_max = E: the
 *                      first epoch trains with eta0)
 *   reduce_on_plateau  scikit-learn's "adaptive": after each epoch, with
 *                      best the lowest loss before it (INFINITY at first),
 *                      count += 1 if loss > best - tol else count = 0, and
 *                      best = min(best, loss); then if count > patience
 *                      (sklearn's n_iter_no_change): if rate <= min_rate
 *                      training stops (sklearn: "Learning rate too small"),
 *                      else rate /= divisor and count = 0. The loss is the
 *                      epoch's training loss.
 */
#ifndef MLPD_CORE_SCHEDULE_H
#define MLPD_CORE_SCHEDULE_H

#include "mlp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Ids may be stored: never renumber. */
typedef enum mlp_schedule_method {
    MLP_SCHED_CONSTANT = 1,
    MLP_SCHED_STEP = 2,
    MLP_SCHED_INVSCALING = 3,
    MLP_SCHED_COSINE = 4,
    MLP_SCHED_PLATEAU = 5
} mlp_schedule_method;

/* "constant", "step", "invscaling", "cosine", "reduce_on_plateau" (alias
 * "adaptive") <-> id; from_name returns 0 for an unknown name, name NULL
 * for an unknown id (0 reads as "constant"). */
int mlp_schedule_from_name(const char *name);
const char *mlp_schedule_name(int id);

typedef struct mlp_schedule {
    int method;        /* mlp_schedule_method; 0 means constant */
    size_t step_size;  /* step: epochs between drops, >= 1 (default 10) */
    double gamma;      /* step: factor per drop, (0, 1] (default 0.1) */
    double power_t;    /* invscaling: exponent, >= 0 (sklearn's 0.5) */
    double eta_min;    /* cosine: the rate approached at the end, [0, eta0] (0) */
    double tol;        /* plateau: required decrease, >= 0 (sklearn's 1e-4) */
    size_t patience;   /* plateau: sklearn's n_iter_no_change, >= 1 (10) */
    double divisor;    /* plateau: rate /= divisor, > 1 (sklearn's 5) */
    double min_rate;   /* plateau: stop instead of dropping at or below it,
                          >= 0 (sklearn's 1e-6) */
} mlp_schedule;

/* Every field at its default (above) for method (0: constant). */
mlp_schedule mlp_default_schedule(int method);

/* Check the fields the method uses (others are ignored) and that eta_min
 * <= eta0 for cosine; MLP_OK or MLP_ERR_INVALID, filling *err (may be NULL)
 * with the field ("schedule.gamma", ...) and a reason. */
mlp_status mlp_schedule_check(const mlp_schedule *s, double eta0, mlp_spec_error *err);

/* Where a run of the schedule is. */
typedef struct mlp_schedule_state {
    double rate;       /* the rate the next epoch trains with */
    size_t epoch;      /* epochs ended so far */
    double best_loss;  /* plateau: lowest loss so far (INFINITY at first) */
    size_t no_improve; /* plateau: sklearn's _no_improvement_count */
    int stop;          /* plateau: nonzero once sklearn would stop training */
} mlp_schedule_state;

/* Before the first epoch: rate = eta0, counters zero, best INFINITY.
 * s NULL means constant. */
void mlp_schedule_start(const mlp_schedule *s, double eta0, mlp_schedule_state *st);

/* After an epoch that ended with training loss `loss` (any value for the
 * methods that do not read it): advance st to the next epoch's rate.
 * epochs is E, n_samples the training rows n (invscaling). s NULL means
 * constant. The rate stays finite and > 0 for checked schedules (cosine
 * with eta_min 0 reaches 0 only after the last epoch, never trained with). */
void mlp_schedule_epoch_end(const mlp_schedule *s, double eta0, size_t epochs,
                            size_t n_samples, double loss, mlp_schedule_state *st);

/* The rate of 1-based epoch e for the methods that need no losses
 * (constant, step, invscaling, cosine), equal to what the state machine
 * gives; for reduce_on_plateau it returns eta0 (the rate before any drop). */
double mlp_schedule_rate(const mlp_schedule *s, double eta0, size_t epoch, size_t epochs,
                         size_t n_samples);

#ifdef __cplusplus
}
#endif
#endif
