/*
 * jobs_internal.h - what the pool (pool.c) and the run of one job (run.c)
 * share: the run and pool structs. Not for use outside jobs/.
 */
#ifndef MLPD_JOBS_INTERNAL_H
#define MLPD_JOBS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "domain/prep.h"
#include "domain/train_params.h"
#include "storage/realdata.h"
#include "jobs/jobs.h"
#include "storage/storage.h"
#include "util/states.h"

/* Why a run was asked to stop (run.why). */
enum { WHY_NONE, WHY_CANCEL, WHY_TIMEOUT, WHY_SHUTDOWN, WHY_GONE, WHY_STORAGE, WHY_LOST };
/* WHY_LOST: the lease passed to another attempt; the run stops and
 * writes nothing more (the new attempt owns the job). */

typedef struct run {
    struct run *next;          /* in jobs.runs, under jobs.mu */
    struct jobs *pool;
    st_job job;                /* the row as this worker writes it */
    train_params tp;
    mlp_t *net;                /* the clone being trained */
    mlp_t *base;               /* the weights before the job */
    atomic_int cancel;         /* polled by the core before every batch */
    atomic_int why;            /* WHY_* */
    double deadline;           /* monotonic; under jobs.mu (0 until known) */
    double max_seconds;        /* under mu */
    double worker_deadline;    /* the worker's own copy of deadline */
    double mono0, unix0;       /* start, on both clocks */
    /* buffered history since the last flush (worker thread only) */
    st_epoch *pending;
    size_t n_pending, cap_pending;
    double last_flush, last_ckpt;
    int64_t last_ckpt_epoch;
    int published;             /* a checkpoint of this run is current */
    int oom;
    /* leases: the trainer state of the last epoch (sent with each flush),
     * when the lease was last renewed (monotonic, under mu), and the
     * state a re-claimed job resumes from (NULL: from the start) */
    unsigned char *state;
    size_t state_len, state_cap;
    int64_t state_epoch;
    double last_renew;
    unsigned char *resume;
    size_t resume_len;
    /* real data (realdata.c): the scalers fitted on the training rows
     * (published with every version of the run), the base version's, and
     * what history gets beside the losses */
    model_prep *prep, *base_prep;
    size_t n_rows, n_train;    /* rows trained on: [0, n_train); validated: the rest */
    const double *x, *y;       /* the scaled rows (train_job's) */
    size_t n_classes;          /* > 0: accuracy per epoch */
    double *pred;              /* n_rows x outputs + work, for accuracy */
    int extras;                /* history extras are stored (schedule or classes) */
    st_epoch_extra *pending_x; /* parallel to pending */
    size_t cap_pending_x;
    /* live state, under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;         /* broadcast per epoch when waiters > 0 */
    int waiters;
    int refs;                  /* under jobs.mu: the list and waiters */
    job_live live;
} run;

struct jobs {
    jobs_env env;
    jobs_config cfg;
    pthread_mutex_t mu;
    pthread_cond_t work_cv;    /* workers: something was queued, or stop */
    pthread_cond_t state_cv;   /* waiters: some job changed state */
    pthread_cond_t tick_cv;
    uint64_t queued_seq;       /* bumped by jobs_wake */
    uint64_t state_seq;        /* bumped when a job starts or ends */
    int stopping, stopped;
    run *runs;
    pthread_t *threads;
    size_t n_threads;
    pthread_t ticker;
    int ticker_started;
};

/* A run of *job (taking its strings; *job is emptied), or NULL. */
run *run_new(jobs *j, st_job *job);
void run_free(run *r);
/* Ask a run to stop for why (the first reason wins). */
void stop_run(run *r, int why);
/* realdata.c: fit the scalers on the training rows and scale x and y (n
 * rows) in place; note warnings (far from unit scale without scaling) in
 * storage; set up accuracy. 0, or -1 with *err set to a sentence. */
int realdata_prepare(run *r, double *x, double *y, size_t n, const char **err);
/* The extras of an epoch just ended (accuracy on the run's rows). */
void realdata_epoch(run *r, const mlp_t *net, const mlp_progress *p, st_epoch_extra *out);
void realdata_free(run *r);

/* Train the run's job from start to its final row (run.c). */
void train_job(run *r);
/* Tell the layers above (jobs_env.on_change). */
static inline void jobs_notify(jobs *j, jobs_event ev)
{
    if (j->env.on_change)
        j->env.on_change(j->env.on_change_ctx, ev);
}

#endif
