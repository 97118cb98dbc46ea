/*
 * train_state.h - private to core/: the trainer of mlp_train (train.c),
 * which is also the opaque struct mlp_train_state of mlp.h that the
 * progress callback sees, and its checkpoint encoding (train_state.c).
 */
#ifndef MLPD_CORE_TRAIN_STATE_H
#define MLPD_CORE_TRAIN_STATE_H

#include "internal.h"
#include "f32.h"
#include "online.h"
#include "schedule.h"

typedef struct mlp_train_state {
    mlp_t *net;
    const mlp_data *data;
    const mlp_train_opts *o; /* == run: the caller's options with this epoch's rate */
    mlp_train_opts run;
    mlp_schedule_state sched;
    double eta0;            /* the caller's learning_rate */
    size_t n_train, n_val, rows_cap;
    size_t *order;          /* training row indices, shuffled per epoch */
    double *acts, *deltas;  /* rows_cap x total_units */
    double *xb, *yb;        /* gathered batch rows */
    double *grad, *m, *v;   /* gradient and optimizer state (n_params each) */
    double *best;           /* best parameters (with patience) */
    mlp_rng rng;
    uint64_t adam_t;
    online_net online;      /* the fused online path's resolved layers */
    int tiny;               /* online path through tiny.c */
    int tiny_eval;          /* loss pass through tiny.c */
    train32 *f32;           /* float32 training, else NULL */
    void *block;
    /* Where the run is, between epochs (all of it is in a checkpoint): */
    mlp_train_result *res;  /* the result so far */
    size_t epoch;           /* the last epoch finished (0 before the first) */
    int pending;            /* the stop its checks decided (mlp_stop), 0 to go on */
    double best_monitor;    /* lowest validation (else training) loss so far */
    size_t since_best;      /* epochs since it was set */
} trainer;

/* Optimizer moment arrays the options need: 2 (adam), 1 (momentum), 0. */
int trainer_moments(const mlp_train_opts *o);

/* Replace t's state (net's parameters included) by the checkpoint buf
 * (len bytes): MLP_OK, or MLP_ERR_INVALID with nothing changed. t is set
 * up as for a run from the start (allocated, f32 made, rng seeded). */
mlp_status train_state_resume(trainer *t, const void *buf, size_t len);

#endif
