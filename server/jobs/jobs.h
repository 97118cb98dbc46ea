/*
 * jobs.h - the training job workers.
 *
 * The queue lives in SQLite (jobs rows with status "queued"); a fixed pool
 * of worker threads claims them fairly (storage_job_claim), each trains a
 * clone of the model on a snapshot of its samples, and publishes
 * checkpoints. While a job runs its live state (epoch, losses) is kept
 * here, so readers see current values without touching the database.
 * See pool.c for the design and README.md "Training jobs" for the rules.
 */
#ifndef MLPD_SERVER_JOBS_H
#define MLPD_SERVER_JOBS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/cache.h"
#include "domain/train_params.h"
#include "mlp.h"
#include "storage/storage.h"
#include "util/clock.h"

typedef struct jobs jobs;

typedef struct jobs_config {
    long workers;              /* >= 1 */
    long checkpoint_epochs;    /* publish every N epochs (0: only by time) */
    double checkpoint_seconds; /* publish every S seconds (0: only by epochs) */
    double flush_seconds;      /* history and job row at least this often */
    double tick_seconds;       /* how often max_seconds is enforced mid-epoch */
    long worker_nice;          /* worker threads this much nicer (0..19): requests go first */
    /* Leases (a database other nodes share): a claim holds a job for
     * lease_seconds, renewed every heartbeat_seconds (by each flush, and
     * by the ticker within long epochs); every flush carries the trainer's
     * state, so a job whose node dies is claimed again by another and
     * resumes from its last flush; max_attempts claims at most. 0: no
     * leases (SQLite: one process). */
    double lease_seconds;
    double heartbeat_seconds;
    long max_attempts;
    const char *node_id;       /* who claims (jobs.node); the caller's, outlives the pool */
} jobs_config;

/* What the layers above hear about (jobs_env.on_change). */
typedef enum jobs_event {
    JOBS_EVENT_PROGRESS, /* a running job stored epochs (and maybe a version) */
    JOBS_EVENT_STATE     /* a job started or ended */
} jobs_event;

/* What the workers use and whom they tell; the pointers stay the
 * caller's and must outlive the pool. */
typedef struct jobs_env {
    storage *st;
    cache *cache;                  /* published versions go here */
    pthread_mutex_t *model_locks;  /* MODEL_LOCKS of them (domain/model.h) */
    train_limits limits;           /* a queued job's parameters are checked again */
    /* Called from a worker thread, with no lock of the pool held, after
     * each change a reader may wait for (event streams, ?wait=true).
     * NULL: nobody listens. */
    void (*on_change)(void *ctx, jobs_event ev);
    void *on_change_ctx;
} jobs_env;

/* Mark jobs left running by a stopped daemon as failed/interrupted, then
 * start the workers. NULL if that failed (a sentence in err). */
jobs *jobs_start(const jobs_env *env, const jobs_config *cfg, char *err, size_t errlen);
/* Shutdown: claim no more jobs; every running job stops, publishes a
 * checkpoint and is marked failed/interrupted; queued jobs stay queued;
 * waiters return; workers are joined. Idempotent; accepts NULL. */
void jobs_shutdown(jobs *j);
/* jobs_shutdown, then free. Accepts NULL. No caller may use j meanwhile. */
void jobs_free(jobs *j);

/* A job was queued: wake a worker. */
void jobs_wake(jobs *j);
/* A job changed elsewhere (another node): waiters read storage again. */
void jobs_poke(jobs *j);
/* Cancel a running job: 1 if it runs here (it stops within one batch and
 * records "cancelled"), 0 if not. */
int jobs_cancel(jobs *j, const char *job_id);
/* The model is gone: its running job stops and writes nothing. */
void jobs_cancel_model(jobs *j, const char *model_id);

/* Live state of a running job. */
typedef struct job_live {
    int64_t epoch, epochs;
    double loss, val_loss;   /* NaN before the first epoch */
    double started_at;       /* unix seconds */
    double elapsed;          /* seconds since it started */
    double eta;              /* estimated seconds left; NaN when unknown */
    int64_t version;         /* last version it published, 0 if none */
    int ended;               /* the job has ended (final row written) */
} job_live;

/* How many jobs run now. */
size_t jobs_running(jobs *j);
/* 1 and *out if the job is running here, else 0. */
int jobs_live(jobs *j, const char *job_id, job_live *out);

/* Wait for a job to end: returns 1 when its row says it has ended, 0 at
 * the deadline (CLOCK_MONOTONIC seconds) or at shutdown. Polls storage
 * only when some job changed state. */
int jobs_wait_end(jobs *j, const char *job_id, double deadline);

/* Wait until a running job's epoch passes since, it ends, or timeout
 * seconds pass (for streaming progress); 1 and *out if it runs here. */
int jobs_wait_epoch(jobs *j, const char *job_id, int64_t since, double timeout,
                    job_live *out);

/* What is due after an epoch (pure, for tests): 2 a checkpoint (every
 * checkpoint_epochs epochs or checkpoint_seconds), 1 a flush of the
 * buffered history and job row (flush_seconds since the last), else 0. */
int jobs_due(const jobs_config *cfg, int64_t epoch, int64_t last_ckpt_epoch, double now,
             double last_ckpt, double last_flush);

#endif
