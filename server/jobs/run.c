/*
 * run.c - one training job, from its claim to its final row (the design
 * is in pool.c): read the parameters, the base weights and the samples,
 * train, buffer the epochs and write them in batches with checkpoints,
 * and end with the right state and weights.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/model.h"
#include "domain/quota.h"
#include "jobs/jobs_internal.h"

run *run_new(jobs *j, st_job *job)
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
    r->mono0 = r->last_flush = r->last_ckpt = r->last_renew = clock_mono();
    r->unix0 = clock_unix();
    r->live.epochs = r->job.epochs;
    r->live.epoch = r->job.epoch; /* claimed again: where its last heartbeat was */
    r->live.loss = r->live.val_loss = NAN;
    r->live.started_at = r->job.started_at;
    return r;
}


void run_free(run *r)
{
    if (!r)
        return;
    st_job_clear(&r->job);
    mlp_free(r->net);
    mlp_free(r->base);
    free(r->pending);
    free(r->state);
    free(r->resume);
    realdata_free(r);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r);
}


void stop_run(run *r, int why)
{
    int none = WHY_NONE;
    atomic_compare_exchange_strong(&r->why, &none, why);
    atomic_store(&r->cancel, 1);
}

/* ---- batching: history, job row, checkpoints -------------------------- */

/* Publish net (or nothing) with the buffered history and the job row (and
 * under a lease its renewal and, with_state, the trainer's state), in one
 * transaction, under the model's write lock; the published version goes
 * to the predict cache. -1 on a storage failure (why is set). */
static int write_batch(run *r, const mlp_t *net, version_source source, double loss,
                       int is_result, int with_state)
{
    jobs_env *env = &r->pool->env;
    double lease = r->pool->cfg.lease_seconds;
    st_checkpoint ck = {r->state, r->state_len, r->state_epoch};
    if (lease > 0)
        r->job.lease_until = clock_unix() + lease;
    unsigned char *blob = NULL;
    st_publish pub = {version_source_name(source), NULL, 0, loss, is_result};
    /* the run's versions carry its scalers; the base weights their own */
    const model_prep *prep = net == r->base ? r->base_prep : r->prep;
    if (net) {
        if (prep_blob_encode(net, prep, &blob, &pub.blob_len) != 0) {
            stop_run(r, WHY_STORAGE);
            return -1;
        }
        pub.blob = blob;
    }
    pthread_mutex_t *lock = model_lock_of(env->model_locks, r->job.model_id);
    pthread_mutex_lock(lock);
    int64_t version = 0;
    st_status s = storage_job_progress(env->st, &r->job, r->pending, r->n_pending,
                                       net ? &pub : NULL,
                                       with_state && r->state_len ? &ck : NULL, &version);
    if (s == ST_OK && net) {
        mlp_t *copy = NULL;
        model_prep *pcopy = prep_clone(prep);
        if ((!prep || pcopy) && mlp_clone(net, &copy) == MLP_OK) {
            snapshot_release(cache_put_prep(env->cache, r->job.model_id, copy, pcopy, version,
                                            UINT64_MAX));
        } else {
            prep_free(pcopy);
            cache_remove(env->cache, r->job.model_id); /* readers reload it */
        }
    } else if (s == ST_OUTCOME_UNKNOWN) {
        cache_remove(env->cache, r->job.model_id);
    }
    pthread_mutex_unlock(lock);
    free(blob);
    if (s != ST_OK) {
        stop_run(r, s == ST_NOT_FOUND ? WHY_GONE : s == ST_FENCED ? WHY_LOST : WHY_STORAGE);
        return -1;
    }
    if (lease > 0) {
        pthread_mutex_lock(&r->mu);
        r->last_renew = clock_mono();
        pthread_mutex_unlock(&r->mu);
    }
    /* the rates and accuracies beside the losses (advice: not fatal) */
    if (r->extras && r->n_pending)
        storage_history_extra_append(env->st, r->job.model_id, r->job.id, r->pending_x,
                                     r->n_pending);
    jobs_notify(r->pool, JOBS_EVENT_PROGRESS); /* streams send the new epochs now */
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

static int push_epoch(run *r, const mlp_t *net, const mlp_progress *p, double now)
{
    if (r->extras && r->n_pending == r->cap_pending_x) {
        size_t cap = r->cap_pending_x ? 2 * r->cap_pending_x : 256;
        st_epoch_extra *e = realloc(r->pending_x, cap * sizeof *e);
        if (!e)
            return -1;
        r->pending_x = e;
        r->cap_pending_x = cap;
    }
    if (r->extras)
        realdata_epoch(r, net, p, &r->pending_x[r->n_pending]);
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

/* The trainer's state after the epoch p reports, for the next flush
 * (leases: a re-claim resumes from it). 0, or -1 out of memory. */
static int save_state(run *r, const mlp_progress *p)
{
    size_t need = mlp_train_state_size(p);
    if (need == 0)
        return -1;
    if (need > r->state_cap) {
        unsigned char *b = realloc(r->state, need);
        if (!b)
            return -1;
        r->state = b;
        r->state_cap = need;
    }
    if (mlp_train_state_save(p, r->state, r->state_cap) != MLP_OK)
        return -1;
    r->state_len = need;
    r->state_epoch = (int64_t)p->epoch;
    return 0;
}

/* The core's per-epoch callback: keep it cheap (one clock read, one
 * uncontended mutex, an array append) unless a batch is due. */
static int on_epoch(void *ctx, const mlp_t *net, const mlp_progress *p)
{
    run *r = ctx;
    double now = clock_mono();
    if (push_epoch(r, net, p, now) != 0) {
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
    int with_state = r->pool->cfg.lease_seconds > 0;
    if (with_state && save_state(r, p) != 0) {
        r->oom = 1;
        stop_run(r, WHY_STORAGE);
        return 1;
    }
    if (due == 2) {
        if (write_batch(r, net, SOURCE_CHECKPOINT, p->loss, 1, with_state) != 0)
            return 1;
        r->published = 1;
        r->last_ckpt = now;
        r->last_ckpt_epoch = (int64_t)p->epoch;
    } else if (write_batch(r, NULL, SOURCE_CHECKPOINT, NAN, 0, with_state) != 0) {
        return 1;
    }
    r->last_flush = now;
    return 0;
}

/* ---- one job ------------------------------------------------------------ */

/* The job row's state (names only here, at the row). */
static void set_state(run *r, job_status status, stop_reason reason)
{
    snprintf(r->job.status, sizeof r->job.status, "%s", job_status_name(status));
    snprintf(r->job.stop_reason, sizeof r->job.stop_reason, "%s", stop_reason_name(reason));
}

static void set_error(run *r, job_status status, stop_reason reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void set_error(run *r, job_status status, stop_reason reason, const char *fmt, ...)
{
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    set_state(r, status, reason);
    free(r->job.error);
    r->job.error = strdup(msg);
}

/* The core's stop, as the job's stop reason. */
static stop_reason reason_of(int core_stop)
{
    stop_reason why = STOP_STOPPED;
    stop_reason_from_name(mlp_stop_name(core_stop), &why);
    return why;
}

/* A job claimed again after its lease passed goes on from the state its
 * last flush stored, with the history up to that epoch (same
 * transaction); with none, it starts over. 0, or -1 with the error set. */
static int resume_point(run *r)
{
    if (r->job.attempt <= 1)
        return 0;
    int64_t epoch = 0;
    st_status s = storage_job_checkpoint_get(r->pool->env.st, r->job.id, &epoch, &r->resume,
                                             &r->resume_len);
    if (s == ST_NOT_FOUND)
        return 0;
    if (s != ST_OK) {
        set_error(r, JOB_FAILED, STOP_ERROR, "the job's checkpoint could not be read");
        return -1;
    }
    r->last_ckpt_epoch = r->job.epoch = epoch;
    r->published = r->job.version > 0; /* a checkpoint version of an earlier attempt */
    pthread_mutex_lock(&r->mu);
    r->live.epoch = epoch;
    pthread_mutex_unlock(&r->mu);
    return 0;
}

/* Parameters, base weights and samples; 0, or -1 with the job's error set. */
static int prepare(run *r, double **x, double **y, size_t *n)
{
    jobs_env *env = &r->pool->env;
    json_err e;
    if (train_params_parse(&e, r->job.params_json, &env->limits, &r->tp) != 0) {
        set_error(r, JOB_FAILED, STOP_ERROR, "the stored parameters are no longer valid");
        return -1;
    }
    r->tp.opts.dtype = model_dtype(env->st, r->job.model_id); /* a model option, fixed at creation */
    /* A re-claimed job starts from the same base weights as its first
     * attempt (0 until that one wrote: the current ones). */
    snapshot *snap = NULL;
    if (model_net_get(env->st, env->cache, r->job.model_id, r->job.base_version, &snap).code !=
        DOM_OK) {
        set_error(r, JOB_FAILED, STOP_ERROR, "the model's weights could not be read");
        return -1;
    }
    r->job.base_version = snapshot_version(snap);
    r->base_prep = prep_clone(snapshot_prep(snap));
    int ok = mlp_clone(snapshot_net(snap), &r->net) == MLP_OK &&
             mlp_clone(snapshot_net(snap), &r->base) == MLP_OK &&
             (r->base_prep || !snapshot_prep(snap));
    snapshot_release(snap);
    if (!ok) {
        set_error(r, JOB_FAILED, STOP_ERROR, "out of memory");
        return -1;
    }
    /* every attempt trains on the rows there were at the first claim */
    st_status s = r->job.n_samples > 0
                      ? storage_samples_read(env->st, r->job.model_id, 0,
                                             (size_t)r->job.n_samples, mlp_inputs(r->net),
                                             mlp_outputs(r->net), x, y, n)
                      : ST_OK;
    if (s == ST_OK && r->job.n_samples > 0 && *n != (size_t)r->job.n_samples)
        s = ST_NOT_FOUND; /* cleared since: the snapshot is gone */
    if (s != ST_OK || *n == 0) {
        if (s == ST_NOT_FOUND)
            stop_run(r, WHY_GONE);
        set_error(r, JOB_FAILED, STOP_ERROR, s == ST_OK ? "the model has no samples"
                                                   : "the samples could not be read");
        return -1;
    }
    const char *why = NULL;
    if (realdata_prepare(r, *x, *y, *n, &why) != 0) {
        set_error(r, JOB_FAILED, STOP_ERROR, "%s", why);
        return -1;
    }
    return resume_point(r);
}

/* The end state from the core's result; returns the weights to publish
 * (NULL for none) and their source. */
static const mlp_t *outcome(run *r, mlp_status ms, const mlp_train_result *res,
                            version_source *source, int *is_result)
{
    int why = atomic_load(&r->why);
    int stopped_by_us = res->stop == MLP_STOP_CANCELLED || res->stop == MLP_STOP_CALLBACK;
    *is_result = 1;
    *source = SOURCE_TRAIN;
    if (ms == MLP_OK && !(stopped_by_us && why != WHY_TIMEOUT)) {
        r->job.epoch = (int64_t)res->epochs_run;
        r->job.loss = res->loss;
        r->job.val_loss = res->val_loss;
        set_state(r, JOB_SUCCEEDED,
                  why == WHY_TIMEOUT && stopped_by_us ? STOP_TIMEOUT : reason_of(res->stop));
        return r->net;
    }
    row_from_last(r);
    if (ms == MLP_OK && why == WHY_SHUTDOWN) {
        set_error(r, JOB_FAILED, STOP_INTERRUPTED, "interrupted: the daemon stopped at epoch %lld",
                  (long long)r->job.epoch);
        *source = SOURCE_CHECKPOINT;
        return r->job.epoch > 0 ? r->net : NULL; /* no epoch: nothing to keep */
    }
    if (ms == MLP_OK && why == WHY_CANCEL) {
        set_state(r, JOB_CANCELLED, STOP_CANCELLED);
        return NULL;
    }
    if (ms == MLP_ERR_NONFINITE)
        set_error(r, JOB_FAILED, STOP_DIVERGED,
                  "diverged at epoch %zu, layer %zu: a non-finite value appeared",
                  res->fail_epoch, res->fail_layer);
    else
        set_error(r, JOB_FAILED, STOP_ERROR, "training failed: %s",
                  r->oom ? "out of memory" : why == WHY_STORAGE ? "storage error"
                                                               : mlp_status_name(ms));
    /* leave the model as it was before the job */
    r->job.version = 0;
    *is_result = 0;
    *source = SOURCE_RESTORE;
    return r->published ? r->base : NULL;
}

/* Write the final row (and weights); on a storage failure, at least the
 * row. */
static void finish(run *r, const mlp_t *net, version_source source, int is_result)
{
    r->job.finished_at = clock_unix();
    if (atomic_load(&r->why) == WHY_LOST)
        return; /* another attempt owns the job now */
    quota_charge_training(r->pool->env.st, r->job.owner, r->job.finished_at - r->job.started_at);
    if (atomic_load(&r->why) == WHY_GONE) {
        /* Normally the row went with the model; if the delete's outcome
         * was unknown and the model is still there, end the job anyway. */
        set_error(r, JOB_FAILED, STOP_ERROR, "the model was deleted while the job ran");
        r->job.version = 0;
        storage_job_update(r->pool->env.st, &r->job);
        return;
    }
    double loss = net == r->base ? NAN : r->job.loss;
    if (write_batch(r, net, source, loss, is_result, 0) == 0 ||
        atomic_load(&r->why) == WHY_GONE || atomic_load(&r->why) == WHY_LOST)
        return;
    set_error(r, JOB_FAILED, STOP_ERROR, "the job's results could not be stored");
    r->job.version = 0;
    storage_job_update(r->pool->env.st, &r->job);
}

void train_job(run *r)
{
    double *x = NULL, *y = NULL;
    size_t n = 0;
    mlp_train_result res;
    memset(&res, 0, sizeof res);
    mlp_status ms = MLP_ERR_INVALID;
    const mlp_t *out = NULL;
    version_source source = SOURCE_TRAIN;
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
        if (r->tp.schedule.method && r->tp.schedule.method != MLP_SCHED_CONSTANT)
            o.schedule = &r->tp.schedule;
        o.resume = r->resume;
        o.resume_len = r->resume_len;
        mlp_data data = {n, x, y};
        ms = mlp_train(r->net, &data, &o, NULL, &res);
        out = outcome(r, ms, &res, &source, &is_result);
        if (ms == MLP_ERR_INVALID && r->resume)
            set_error(r, JOB_FAILED, STOP_ERROR, "the job's checkpoint does not fit its model");
    }
    if (atomic_load(&r->why) == WHY_LOST)
        fprintf(stderr, "mlpd: job %s: its lease passed to another node (this was attempt "
                "%lld); stopped without another write\n", r->job.id, (long long)r->job.attempt);
    finish(r, out, source, is_result);
    free(x);
    free(y);
}

