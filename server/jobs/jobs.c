/*
 * jobs.c - training job workers.
 *
 * Design. The queue is the jobs table: a request inserts a "queued" row
 * (storage_job_create, 409 when the model has one) and calls jobs_wake.
 * A fixed pool of workers claims rows one at a time in one transaction
 * (storage_job_claim: the queued job whose owner has the fewest running
 * jobs, then the oldest), so restarts, fairness and "one job per model"
 * need no second copy of the queue in memory. A worker that finds nothing
 * sleeps on a condition variable (woken by jobs_wake, or after a second).
 *
 * A claimed job becomes a `run`: the worker's own clone of the model at
 * its current version (the base), a snapshot of the samples read once, a
 * cancel flag the core polls before every batch, and the live state that
 * GET /v1/jobs/{id} reads under the run's small mutex. The core calls
 * on_epoch after each epoch; it appends the epoch to an in-memory buffer
 * and only touches SQLite when a flush (about once a second) or a
 * checkpoint (every N epochs or S seconds) is due: then the buffered
 * history rows, the job row and (checkpoint) a new weights version go in
 * one transaction, and the version is published to the predict cache
 * under the model's write lock.
 *
 * Ends: every stop writes the remaining history and the final job row in
 * one transaction with the final weights ("train"). A divergence or error
 * publishes the base weights again ("restore") if checkpoints of the job
 * were published, so the model is as before the job. A cancel keeps the
 * published checkpoints and writes no more weights. Shutdown (jobs_shutdown)
 * stops every run, which publishes a checkpoint and is marked failed with
 * stop_reason "interrupted"; queued rows stay queued for the next start.
 * A ticker thread enforces max_seconds within long epochs.
 */
#include "jobs/jobs.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/handlers.h"
#include "domain/quota.h"
#include "api/reply.h"

/* Why a run was asked to stop (run.why). */
enum { WHY_NONE, WHY_CANCEL, WHY_TIMEOUT, WHY_SHUTDOWN, WHY_GONE, WHY_STORAGE };

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
    /* live state, under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;         /* broadcast per epoch when waiters > 0 */
    int waiters;
    int refs;                  /* under jobs.mu: the list and waiters */
    job_live live;
} run;

struct jobs {
    struct app *a;
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

double jobs_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double jobs_unix(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A CLOCK_MONOTONIC deadline for pthread_cond_timedwait (the conditions
 * are created with that clock). */
static struct timespec abs_mono(double t)
{
    struct timespec ts;
    ts.tv_sec = (time_t)t;
    ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

static int cond_init_mono(pthread_cond_t *cv)
{
    pthread_condattr_t at;
    if (pthread_condattr_init(&at) != 0)
        return -1;
    int rc = pthread_condattr_setclock(&at, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(cv, &at);
    pthread_condattr_destroy(&at);
    return rc == 0 ? 0 : -1;
}

/* ---- the run list ------------------------------------------------------ */

static run *find_run(jobs *j, const char *job_id)
{
    for (run *r = j->runs; r; r = r->next)
        if (strcmp(r->job.id, job_id) == 0)
            return r;
    return NULL;
}

static void run_free(run *r)
{
    if (!r)
        return;
    st_job_clear(&r->job);
    mlp_free(r->net);
    mlp_free(r->base);
    free(r->pending);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r);
}

/* Drop a reference taken under j->mu (the caller holds j->mu). */
static void run_unref_locked(run *r)
{
    if (--r->refs == 0)
        run_free(r);
}

static void stop_run(run *r, int why)
{
    int none = WHY_NONE;
    atomic_compare_exchange_strong(&r->why, &none, why);
    atomic_store(&r->cancel, 1);
}

/* ---- batching: history, job row, checkpoints -------------------------- */

/* Publish net (or nothing) with the buffered history and the job row, in
 * one transaction, under the model's write lock; the published version
 * goes to the predict cache. -1 on a storage failure (why is set). */
static int write_batch(run *r, const mlp_t *net, const char *source, double loss, int is_result)
{
    app *a = r->pool->a;
    unsigned char *blob = NULL;
    st_publish pub = {source, NULL, 0, loss, is_result};
    if (net) {
        size_t cap = mlp_saved_size(net);
        blob = malloc(cap ? cap : 1);
        if (!blob || mlp_save(net, blob, cap, &pub.blob_len) != MLP_OK) {
            free(blob);
            stop_run(r, WHY_STORAGE);
            return -1;
        }
        pub.blob = blob;
    }
    pthread_mutex_t *lock = model_lock(a, r->job.model_id);
    pthread_mutex_lock(lock);
    int64_t version = 0;
    st_status s = storage_job_progress(a->st, &r->job, r->pending, r->n_pending,
                                       net ? &pub : NULL, &version);
    if (s == ST_OK && net) {
        mlp_t *copy = NULL;
        if (mlp_clone(net, &copy) == MLP_OK)
            snapshot_release(cache_put(a->cache, r->job.model_id, copy, version, UINT64_MAX));
        else
            cache_remove(a->cache, r->job.model_id); /* readers reload it */
    } else if (s == ST_OUTCOME_UNKNOWN) {
        cache_remove(a->cache, r->job.model_id);
    }
    pthread_mutex_unlock(lock);
    free(blob);
    if (s != ST_OK) {
        stop_run(r, s == ST_NOT_FOUND ? WHY_GONE : WHY_STORAGE);
        return -1;
    }
    app_wake_streams(a); /* event streams send the new epochs now, not at their next tick */
    r->n_pending = 0;
    if (net) {
        pthread_mutex_lock(&r->mu);
        r->live.version = version;
        pthread_mutex_unlock(&r->mu);
    }
    return 0;
}

/* The job row's progress fields from the last buffered epoch. */
static void row_from_last(run *r)
{
    if (r->n_pending == 0)
        return;
    const st_epoch *e = &r->pending[r->n_pending - 1];
    r->job.epoch = e->epoch;
    r->job.loss = e->loss;
    r->job.val_loss = e->val_loss;
}

/* What is due after an epoch: 0 nothing, 1 a flush, 2 a checkpoint. */
int jobs_due(const jobs_config *cfg, int64_t epoch, int64_t last_ckpt_epoch, double now,
             double last_ckpt, double last_flush)
{
    if ((cfg->checkpoint_epochs > 0 && epoch - last_ckpt_epoch >= cfg->checkpoint_epochs) ||
        (cfg->checkpoint_seconds > 0 && now - last_ckpt >= cfg->checkpoint_seconds))
        return 2;
    return now - last_flush >= cfg->flush_seconds ? 1 : 0;
}

static int push_epoch(run *r, const mlp_progress *p, double now)
{
    if (r->n_pending == r->cap_pending) {
        size_t cap = r->cap_pending ? 2 * r->cap_pending : 256;
        st_epoch *e = realloc(r->pending, cap * sizeof *e);
        if (!e)
            return -1;
        r->pending = e;
        r->cap_pending = cap;
    }
    r->pending[r->n_pending++] =
        (st_epoch){(int64_t)p->epoch, p->loss, p->val_loss, r->unix0 + (now - r->mono0)};
    return 0;
}

/* The core's per-epoch callback: keep it cheap (one clock read, one
 * uncontended mutex, an array append) unless a batch is due. */
static int on_epoch(void *ctx, const mlp_t *net, const mlp_progress *p)
{
    run *r = ctx;
    double now = jobs_mono();
    if (push_epoch(r, p, now) != 0) {
        r->oom = 1;
        stop_run(r, WHY_STORAGE);
        return 1;
    }
    pthread_mutex_lock(&r->mu);
    r->live.epoch = (int64_t)p->epoch;
    r->live.loss = p->loss;
    r->live.val_loss = p->val_loss;
    if (r->waiters)
        pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    if (atomic_load_explicit(&r->why, memory_order_relaxed) != WHY_NONE)
        return 1;
    if (now >= r->worker_deadline) {
        stop_run(r, WHY_TIMEOUT);
        return 1;
    }
    int due = jobs_due(&r->pool->cfg, (int64_t)p->epoch, r->last_ckpt_epoch, now,
                       r->last_ckpt, r->last_flush);
    if (due == 2 && p->epoch == p->epochs)
        due = 1; /* the final write follows at once: no checkpoint before it */
    if (due == 0)
        return 0;
    row_from_last(r);
    if (due == 2) {
        if (write_batch(r, net, "checkpoint", p->loss, 1) != 0)
            return 1;
        r->published = 1;
        r->last_ckpt = now;
        r->last_ckpt_epoch = (int64_t)p->epoch;
    } else if (write_batch(r, NULL, NULL, NAN, 0) != 0) {
        return 1;
    }
    r->last_flush = now;
    return 0;
}

/* ---- one job ------------------------------------------------------------ */

static void set_error(run *r, const char *status, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void set_error(run *r, const char *status, const char *reason, const char *fmt, ...)
{
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(r->job.status, sizeof r->job.status, "%s", status);
    snprintf(r->job.stop_reason, sizeof r->job.stop_reason, "%s", reason);
    free(r->job.error);
    r->job.error = strdup(msg);
}

/* Parameters, base weights and samples; 0, or -1 with the job's error set. */
static int prepare(run *r, double **x, double **y, size_t *n)
{
    app *a = r->pool->a;
    api_response resp;
    api_response_init(&resp);
    int rc = train_params_parse(a, r->job.params_json, &r->tp, &resp);
    api_response_free(&resp);
    if (rc != 0) {
        set_error(r, "failed", "error", "the stored parameters are no longer valid");
        return -1;
    }
    api_response_init(&resp);
    snapshot *snap = model_net_or_reply(a, &resp, r->job.model_id, 0);
    api_response_free(&resp);
    if (!snap) {
        set_error(r, "failed", "error", "the model's weights could not be read");
        return -1;
    }
    r->job.base_version = snapshot_version(snap);
    int ok = mlp_clone(snapshot_net(snap), &r->net) == MLP_OK &&
             mlp_clone(snapshot_net(snap), &r->base) == MLP_OK;
    snapshot_release(snap);
    if (!ok) {
        set_error(r, "failed", "error", "out of memory");
        return -1;
    }
    st_status s = storage_samples_read(a->st, r->job.model_id, 0, 0, mlp_inputs(r->net),
                                       mlp_outputs(r->net), x, y, n);
    if (s != ST_OK || *n == 0) {
        if (s == ST_NOT_FOUND)
            stop_run(r, WHY_GONE);
        set_error(r, "failed", "error", s == ST_OK ? "the model has no samples"
                                                   : "the samples could not be read");
        return -1;
    }
    return 0;
}

/* The end state from the core's result; returns the weights to publish
 * (NULL for none) and their source. */
static const mlp_t *outcome(run *r, mlp_status ms, const mlp_train_result *res,
                            const char **source, int *is_result)
{
    int why = atomic_load(&r->why);
    int stopped_by_us = res->stop == MLP_STOP_CANCELLED || res->stop == MLP_STOP_CALLBACK;
    *is_result = 1;
    *source = "train";
    if (ms == MLP_OK && !(stopped_by_us && why != WHY_TIMEOUT)) {
        r->job.epoch = (int64_t)res->epochs_run;
        r->job.loss = res->loss;
        r->job.val_loss = res->val_loss;
        strcpy(r->job.status, "succeeded");
        snprintf(r->job.stop_reason, sizeof r->job.stop_reason, "%s",
                 why == WHY_TIMEOUT && stopped_by_us ? "timeout" : mlp_stop_name(res->stop));
        return r->net;
    }
    row_from_last(r);
    if (ms == MLP_OK && why == WHY_SHUTDOWN) {
        set_error(r, "failed", "interrupted", "interrupted: the daemon stopped at epoch %lld",
                  (long long)r->job.epoch);
        *source = "checkpoint";
        return r->job.epoch > 0 ? r->net : NULL; /* no epoch: nothing to keep */
    }
    if (ms == MLP_OK && why == WHY_CANCEL) {
        strcpy(r->job.status, "cancelled");
        strcpy(r->job.stop_reason, "cancelled");
        return NULL;
    }
    if (ms == MLP_ERR_NONFINITE)
        set_error(r, "failed", "diverged",
                  "diverged at epoch %zu, layer %zu: a non-finite value appeared",
                  res->fail_epoch, res->fail_layer);
    else
        set_error(r, "failed", "error", "training failed: %s",
                  r->oom ? "out of memory" : why == WHY_STORAGE ? "storage error"
                                                               : mlp_status_name(ms));
    /* leave the model as it was before the job */
    r->job.version = 0;
    *is_result = 0;
    *source = "restore";
    return r->published ? r->base : NULL;
}

/* Write the final row (and weights); on a storage failure, at least the
 * row. */
static void finish(run *r, const mlp_t *net, const char *source, int is_result)
{
    r->job.finished_at = jobs_unix();
    quota_charge_training(r->pool->a, r->job.owner, r->job.finished_at - r->job.started_at);
    if (atomic_load(&r->why) == WHY_GONE) {
        /* Normally the row went with the model; if the delete's outcome
         * was unknown and the model is still there, end the job anyway. */
        set_error(r, "failed", "error", "the model was deleted while the job ran");
        r->job.version = 0;
        storage_job_update(r->pool->a->st, &r->job);
        return;
    }
    double loss = net == r->base ? NAN : r->job.loss;
    if (write_batch(r, net, source, loss, is_result) == 0 || atomic_load(&r->why) == WHY_GONE)
        return;
    set_error(r, "failed", "error", "the job's results could not be stored");
    r->job.version = 0;
    storage_job_update(r->pool->a->st, &r->job);
}

static void train_job(run *r)
{
    double *x = NULL, *y = NULL;
    size_t n = 0;
    mlp_train_result res;
    memset(&res, 0, sizeof res);
    mlp_status ms = MLP_ERR_INVALID;
    const mlp_t *out = NULL;
    const char *source = NULL;
    int is_result = 0;
    if (prepare(r, &x, &y, &n) == 0) {
        pthread_mutex_lock(&r->pool->mu);
        r->deadline = r->mono0 + r->tp.max_seconds;
        double deadline = r->deadline;
        pthread_mutex_unlock(&r->pool->mu);
        pthread_mutex_lock(&r->mu);
        r->max_seconds = r->tp.max_seconds;
        pthread_mutex_unlock(&r->mu);
        r->worker_deadline = deadline;
        mlp_train_opts o = r->tp.opts;
        o.progress = on_epoch;
        o.progress_ctx = r;
        o.cancel = &r->cancel;
        mlp_data data = {n, x, y};
        ms = mlp_train(r->net, &data, &o, NULL, &res);
        out = outcome(r, ms, &res, &source, &is_result);
    }
    finish(r, out, source, is_result);
    free(x);
    free(y);
}

/* ---- workers ----------------------------------------------------------- */

static run *run_new(jobs *j, st_job *job)
{
    run *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    if (pthread_mutex_init(&r->mu, NULL) != 0) {
        free(r);
        return NULL;
    }
    if (pthread_cond_init(&r->cv, NULL) != 0) {
        pthread_mutex_destroy(&r->mu);
        free(r);
        return NULL;
    }
    r->pool = j;
    r->job = *job; /* takes the strings */
    memset(job, 0, sizeof *job);
    atomic_init(&r->cancel, 0);
    atomic_init(&r->why, WHY_NONE);
    r->mono0 = r->last_flush = r->last_ckpt = jobs_mono();
    r->unix0 = jobs_unix();
    r->live.epochs = r->job.epochs;
    r->live.loss = r->live.val_loss = NAN;
    r->live.started_at = r->job.started_at;
    return r;
}

/* List the run (or put the job back in the queue when stopping). */
static int publish_start(jobs *j, run *r)
{
    pthread_mutex_lock(&j->mu);
    int stopping = j->stopping;
    if (!stopping) {
        r->refs = 1;
        r->next = j->runs;
        j->runs = r;
        j->state_seq++;
        pthread_cond_broadcast(&j->state_cv);
    }
    pthread_mutex_unlock(&j->mu);
    return stopping ? -1 : 0;
}

static void publish_end(jobs *j, run *r)
{
    pthread_mutex_lock(&j->mu);
    pthread_mutex_lock(&r->mu);
    r->live.ended = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    run **pp = &j->runs;
    while (*pp && *pp != r)
        pp = &(*pp)->next;
    if (*pp)
        *pp = r->next;
    j->state_seq++;
    pthread_cond_broadcast(&j->state_cv);
    run_unref_locked(r);
    pthread_mutex_unlock(&j->mu);
}

/* Claim and run one job: 1 if one ran, 0 if the queue was empty, -1 on a
 * storage error. */
static int work_once(jobs *j)
{
    st_job job;
    st_status s = storage_job_claim(j->a->st, jobs_unix(), &job);
    if (s != ST_OK)
        return s == ST_NOT_FOUND ? 0 : -1;
    app_wake_streams(j->a); /* its streams show "running" at once */
    run *r = run_new(j, &job);
    if (!r) {
        strcpy(job.status, "failed");
        strcpy(job.stop_reason, "error");
        job.error = strdup("out of memory");
        job.finished_at = jobs_unix();
        storage_job_update(j->a->st, &job);
        st_job_clear(&job);
        return 1;
    }
    if (publish_start(j, r) != 0) {
        strcpy(r->job.status, "queued"); /* shutting down: run it next time */
        r->job.started_at = 0;
        storage_job_update(j->a->st, &r->job);
        run_free(r);
        return 0;
    }
    train_job(r);
    publish_end(j, r);
    app_wake_streams(j->a); /* waiting replies and streams see the end at once */
    return 1;
}

static void *worker_main(void *arg)
{
    jobs *j = arg;
    pthread_mutex_lock(&j->mu);
    while (!j->stopping) {
        uint64_t seq = j->queued_seq;
        pthread_mutex_unlock(&j->mu);
        int got = work_once(j);
        pthread_mutex_lock(&j->mu);
        if (got == 1)
            continue;
        /* Nothing queued (or storage busy): sleep until woken, or a second
         * (a safety net; jobs_wake is what normally wakes us). */
        struct timespec until = abs_mono(jobs_mono() + (got < 0 ? 0.5 : 1.0));
        while (!j->stopping && j->queued_seq == seq)
            if (pthread_cond_timedwait(&j->work_cv, &j->mu, &until) == ETIMEDOUT)
                break;
    }
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

/* Enforce max_seconds within long epochs (on_epoch does it between). */
static void *ticker_main(void *arg)
{
    jobs *j = arg;
    pthread_mutex_lock(&j->mu);
    while (!j->stopping) {
        double now = jobs_mono();
        for (run *r = j->runs; r; r = r->next)
            if (r->deadline > 0 && now >= r->deadline)
                stop_run(r, WHY_TIMEOUT);
        struct timespec until = abs_mono(now + j->cfg.tick_seconds);
        pthread_cond_timedwait(&j->tick_cv, &j->mu, &until);
    }
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

/* ---- the pool ----------------------------------------------------------- */

static int pool_sync_init(jobs *j)
{
    if (pthread_mutex_init(&j->mu, NULL) != 0)
        return -1;
    if (cond_init_mono(&j->work_cv) != 0)
        goto fail_mu;
    if (cond_init_mono(&j->state_cv) != 0)
        goto fail_work;
    if (cond_init_mono(&j->tick_cv) != 0)
        goto fail_state;
    return 0;
fail_state:
    pthread_cond_destroy(&j->state_cv);
fail_work:
    pthread_cond_destroy(&j->work_cv);
fail_mu:
    pthread_mutex_destroy(&j->mu);
    return -1;
}

jobs *jobs_start(struct app *a, const jobs_config *cfg, char *err, size_t errlen)
{
    int64_t interrupted = 0;
    st_status s = storage_jobs_recover(a->st, jobs_unix(), &interrupted);
    if (s != ST_OK) {
        snprintf(err, errlen, "cannot mark interrupted jobs: %s", st_status_name(s));
        return NULL;
    }
    if (interrupted > 0)
        fprintf(stderr, "mlpd: %lld job(s) were running when the daemon stopped; marked "
                "failed (interrupted)\n", (long long)interrupted);
    jobs *j = calloc(1, sizeof *j);
    size_t n = cfg->workers > 0 ? (size_t)cfg->workers : 1;
    if (!j || !(j->threads = calloc(n, sizeof *j->threads)) || pool_sync_init(j) != 0) {
        if (j)
            free(j->threads);
        free(j);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    j->a = a;
    j->cfg = *cfg;
    if (j->cfg.flush_seconds <= 0)
        j->cfg.flush_seconds = 1.0;
    if (j->cfg.tick_seconds <= 0)
        j->cfg.tick_seconds = 0.2;
    for (; j->n_threads < n; j->n_threads++)
        if (pthread_create(&j->threads[j->n_threads], NULL, worker_main, j) != 0)
            break;
    if (j->n_threads > 0 && pthread_create(&j->ticker, NULL, ticker_main, j) == 0)
        j->ticker_started = 1;
    if (!j->ticker_started) {
        snprintf(err, errlen, "cannot start the job worker threads");
        jobs_free(j);
        return NULL;
    }
    return j;
}

void jobs_shutdown(jobs *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->mu);
    if (j->stopped) {
        pthread_mutex_unlock(&j->mu);
        return;
    }
    j->stopping = 1;
    for (run *r = j->runs; r; r = r->next)
        stop_run(r, WHY_SHUTDOWN);
    pthread_cond_broadcast(&j->work_cv);
    pthread_cond_broadcast(&j->tick_cv);
    pthread_cond_broadcast(&j->state_cv);
    pthread_mutex_unlock(&j->mu);
    for (size_t i = 0; i < j->n_threads; i++)
        pthread_join(j->threads[i], NULL);
    if (j->ticker_started)
        pthread_join(j->ticker, NULL);
    pthread_mutex_lock(&j->mu);
    j->stopped = 1;
    pthread_cond_broadcast(&j->state_cv);
    pthread_mutex_unlock(&j->mu);
}

void jobs_free(jobs *j)
{
    if (!j)
        return;
    jobs_shutdown(j);
    pthread_cond_destroy(&j->work_cv);
    pthread_cond_destroy(&j->state_cv);
    pthread_cond_destroy(&j->tick_cv);
    pthread_mutex_destroy(&j->mu);
    free(j->threads);
    free(j);
}

void jobs_wake(jobs *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->mu);
    j->queued_seq++;
    pthread_cond_signal(&j->work_cv);
    pthread_mutex_unlock(&j->mu);
}

int jobs_cancel(jobs *j, const char *job_id)
{
    if (!j)
        return 0;
    pthread_mutex_lock(&j->mu);
    run *r = find_run(j, job_id);
    if (r)
        stop_run(r, WHY_CANCEL);
    pthread_mutex_unlock(&j->mu);
    return r != NULL;
}

void jobs_cancel_model(jobs *j, const char *model_id)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->mu);
    for (run *r = j->runs; r; r = r->next)
        if (strcmp(r->job.model_id, model_id) == 0)
            stop_run(r, WHY_GONE);
    pthread_mutex_unlock(&j->mu);
}

/* Copy the live state, with elapsed time and the estimate (r->mu held). */
static void live_copy(const run *r, job_live *out)
{
    *out = r->live;
    out->elapsed = jobs_mono() - r->mono0;
    out->eta = NAN;
    if (out->epoch > 0 && out->epochs >= out->epoch) {
        double per = out->elapsed / (double)out->epoch;
        out->eta = per * (double)(out->epochs - out->epoch);
        double left = r->max_seconds - out->elapsed;
        if (r->max_seconds > 0 && out->eta > left)
            out->eta = left > 0 ? left : 0;
    }
}

size_t jobs_running(jobs *j)
{
    size_t n = 0;
    if (!j)
        return 0;
    pthread_mutex_lock(&j->mu);
    for (run *r = j->runs; r; r = r->next)
        n++;
    pthread_mutex_unlock(&j->mu);
    return n;
}

int jobs_live(jobs *j, const char *job_id, job_live *out)
{
    if (!j)
        return 0;
    pthread_mutex_lock(&j->mu);
    run *r = find_run(j, job_id);
    if (r) {
        pthread_mutex_lock(&r->mu);
        live_copy(r, out);
        pthread_mutex_unlock(&r->mu);
    }
    pthread_mutex_unlock(&j->mu);
    return r != NULL;
}

static int job_ended(storage *st, const char *job_id)
{
    st_job row;
    st_status s = storage_job_get(st, job_id, &row);
    int ended = s == ST_NOT_FOUND ||
                (s == ST_OK && strcmp(row.status, "queued") != 0 &&
                 strcmp(row.status, "running") != 0);
    st_job_clear(&row);
    return ended;
}

int jobs_wait_end(jobs *j, const char *job_id, double deadline)
{
    if (!j)
        return 0;
    int ended = 0;
    pthread_mutex_lock(&j->mu);
    for (;;) {
        uint64_t seq = j->state_seq;
        pthread_mutex_unlock(&j->mu);
        ended = job_ended(j->a->st, job_id); /* no lock held while reading */
        pthread_mutex_lock(&j->mu);
        if (ended || j->stopped || jobs_mono() >= deadline)
            break;
        struct timespec until = abs_mono(deadline);
        while (j->state_seq == seq && !j->stopped)
            if (pthread_cond_timedwait(&j->state_cv, &j->mu, &until) == ETIMEDOUT)
                break;
    }
    pthread_mutex_unlock(&j->mu);
    return ended;
}

int jobs_wait_epoch(jobs *j, const char *job_id, int64_t since, double timeout,
                    job_live *out)
{
    if (!j)
        return 0;
    pthread_mutex_lock(&j->mu);
    run *r = find_run(j, job_id);
    if (!r) {
        pthread_mutex_unlock(&j->mu);
        return 0;
    }
    r->refs++;
    pthread_mutex_lock(&r->mu);
    pthread_mutex_unlock(&j->mu);
    struct timespec until;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now); /* r->cv uses the default clock */
    double t = (double)now.tv_sec + (double)now.tv_nsec / 1e9 + timeout;
    until.tv_sec = (time_t)t;
    until.tv_nsec = (long)((t - (double)until.tv_sec) * 1e9);
    r->waiters++;
    while (r->live.epoch <= since && !r->live.ended)
        if (pthread_cond_timedwait(&r->cv, &r->mu, &until) == ETIMEDOUT)
            break;
    r->waiters--;
    live_copy(r, out);
    pthread_mutex_unlock(&r->mu);
    pthread_mutex_lock(&j->mu);
    run_unref_locked(r);
    pthread_mutex_unlock(&j->mu);
    return 1;
}
